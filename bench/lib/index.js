// bench/lib: what every bench/<node>.bench.js shares.
"use strict";
module.exports = {
  ...require("./stats"),
  ...require("./tmp"),
  ...require("./io"),
  ...require("./report"),
  ...require("./package"),
  ...require("./runtime"),
};
