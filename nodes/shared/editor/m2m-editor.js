/*
 * Editor support shared by every node of the package, emitted by the build (scripts/build.js) at the top of
 * each node's editor page, with the field check (nodes/shared/fields.ts `checkField`) and the node's field specs.
 *
 * M2M.defaults(type, extra): the editor's `defaults` from the node's field specs: each field's default and a
 *   `validate` that runs the very check the runtime runs, so the editor refuses what the runtime would, with the
 *   same words (shown beside the field and as the node's red triangle; Deploy warns about invalid nodes).
 *   Structured fields (register maps, rule lists, tariffs) are checked by the node's `/m2m/<type>/validate`
 *   endpoint; the answer is cached per value and the node is validated again when it arrives.
 * M2M.upgrade(node, type): in oneditprepare, bring a config saved by an older version up to date (the same
 *   migrations the runtime applies), so the dialog shows and saves the upgraded values.
 */
/* global __M2M_CHECK_FIELD__ */
(function () {
    "use strict";
    var M2M = (window.M2M = window.M2M || {});
    M2M.fields = M2M.fields || {};
    M2M.versions = M2M.versions || {};
    if (M2M.defaults) {
        return;
    }
    M2M.checkField = __M2M_CHECK_FIELD__;

    var remote = {};

    function remoteCheck(node, type, name, value) {
        var key = type + "\u0000" + name + "\u0000" + value;
        var hit = remote[key];
        if (hit !== undefined) {
            return hit === "pending" ? true : hit;
        }
        remote[key] = "pending";
        $.ajax({
            url: "m2m/" + type + "/validate",
            type: "POST",
            contentType: "application/json",
            data: JSON.stringify({ field: name, value: value }),
            success: function (r) {
                remote[key] = r && r.ok === false ? r.error || "invalid" : true;
                if (remote[key] !== true && RED.editor && RED.editor.validateNode) {
                    RED.editor.validateNode(node);
                    RED.view.redraw(true);
                }
            },
            error: function () {
                delete remote[key];
            }
        });
        return true;
    }

    M2M.defaults = function (type, extra) {
        var specs = M2M.fields[type] || {};
        var out = {};
        Object.keys(specs).forEach(function (name) {
            var spec = specs[name];
            out[name] = {
                value: spec.default,
                validate: function (v, opt) {
                    var r = M2M.checkField(spec, v);
                    var msg = r.ok ? true : r.error;
                    if (msg === true && spec.kind === "structured" && String(v || "").trim() !== "") {
                        msg = remoteCheck(this, type, name, String(v));
                    }
                    return msg === true ? true : opt ? msg : false;
                }
            };
        });
        out.version = { value: M2M.versions[type] || 0 };
        Object.keys(extra || {}).forEach(function (k) {
            out[k] = extra[k];
        });
        return out;
    };

    /**
     * RED.editor.createEditor for the package's JSON fields: Monaco's inline suggestions are turned off, because they can
     * still be fetching when the dialog closes and throw "Model is disposed" in Node-RED 4.1 (a JSON field gains
     * nothing from them).
     */
    M2M.createEditor = function (options) {
        return RED.editor.createEditor($.extend({ inlineSuggest: { enabled: false } }, options));
    };

    /** The error the runtime would give for a structured field's value, or true (from the cache, or asked now). */
    M2M.check = function (node, type, name, value, callback) {
        $.ajax({
            url: "m2m/" + type + "/validate",
            type: "POST",
            contentType: "application/json",
            data: JSON.stringify({ field: name, value: value }),
            success: function (r) {
                remote[type + "\u0000" + name + "\u0000" + value] = r && r.ok === false ? r.error || "invalid" : true;
                callback(r);
            },
            error: function (xhr) {
                callback({ ok: false, error: (xhr && xhr.statusText) || "the validate endpoint did not answer" });
            }
        });
    };

    M2M.upgrade = function (node, type) {
        var latest = M2M.versions[type] || 0;
        var have = Number(node.version) || 0;
        if (have >= latest) {
            return;
        }
        var body = {};
        Object.keys(node._def.defaults).forEach(function (k) {
            body[k] = node[k];
        });
        body.version = have;
        $.ajax({
            url: "m2m/" + type + "/validate",
            type: "POST",
            contentType: "application/json",
            data: JSON.stringify(body),
            success: function (r) {
                var d = r && r.migrated;
                if (!d) {
                    return;
                }
                Object.keys(node._def.defaults).forEach(function (k) {
                    var input = $("#node-input-" + k);
                    if (k !== "version" && d[k] !== undefined && input.length && input.val() !== String(d[k])) {
                        input.val(d[k]).trigger("change");
                    }
                });
                $("#node-input-version").val(latest);
            }
        });
    };
})();
