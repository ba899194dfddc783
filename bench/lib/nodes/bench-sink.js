// A sink for benchmarks: counts messages and calls the waiting benchmark when the count is reached.
module.exports = function (RED) {
  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    this.on("input", (msg, send, done) => {
      const w = global.__benchSinks && global.__benchSinks[this.id];
      if (w && ++w.got === w.want) w.resolve();
      done();
    });
  }
  RED.nodes.registerType("bench-sink", BenchSink);
};
