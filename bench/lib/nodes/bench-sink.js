// A sink for benchmarks: counts messages, keeps the last one, and calls the waiting benchmark when the
// count is reached. It calls done() at once, so a Complete node scoped to it fires as for a transport.
module.exports = function (RED) {
  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    this.on("input", (msg, send, done) => {
      const w = global.__benchSinks && global.__benchSinks[this.id];
      if (w) {
        w.last = msg;
        if (++w.got === w.want) w.resolve();
      }
      done();
    });
  }
  RED.nodes.registerType("bench-sink", BenchSink);
};
