/* The query editor: YASGUI on this endpoint, with the named queries as example tabs.
   Tabs persist in the browser (localStorage); the examples are added once per set of
   named queries, so reloading the page does not add them again. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("essgraph-editor-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var seenKey = "essgraph-examples:" + config.fingerprint;

  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: {
      getData: function () { return [{ endpoint: endpoint }]; },
      keys: ["endpoint"],
    },
    persistenceId: "essgraph-editor",
    autoAddOnInit: false,
  });

  function seen() {
    try { return window.localStorage.getItem(seenKey) === "1"; } catch (e) { return false; }
  }
  function markSeen() {
    try { window.localStorage.setItem(seenKey, "1"); } catch (e) { /* private mode */ }
  }

  if (!seen()) {
    config.examples.forEach(function (example, i) {
      yasgui.addTab(i === 0, {
        name: example.title,
        yasqe: { value: example.query },
        requestConfig: { endpoint: endpoint },
      }, { avoidDuplicateTabs: true });
    });
    markSeen();
  }
  if (Object.keys(yasgui._tabs).length === 0) {
    yasgui.addTab(true, { requestConfig: { endpoint: endpoint } });
  }
  window.essgraphEditor = yasgui;
})();
