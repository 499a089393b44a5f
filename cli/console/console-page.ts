// The console's page: static HTML, CSS and script, served by `offsite console` from this process. No data is
// ever written as HTML: everything the API returns goes in through textContent.

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>offsite console</title>
<link rel="stylesheet" href="/console.css">
</head>
<body>
<header>
  <h1>offsite</h1>
  <nav>
    <button data-view="servers" data-testid="nav-servers">Servers</button>
    <button data-view="browse" data-testid="nav-browse">Browse</button>
    <button data-view="operations" data-testid="nav-operations">Operations</button>
    <button data-view="retention" data-testid="nav-retention">Holds and retention</button>
  </nav>
  <p id="message" role="status" data-testid="message"></p>
</header>
<main>
  <section id="servers" data-testid="view-servers">
    <h2>Servers</h2>
    <table><thead><tr><th>Server</th><th>Agent contact</th><th>Shipped up to</th><th>Applied up to</th><th>Behind</th><th>Indexing</th></tr></thead>
    <tbody id="server-rows" data-testid="server-rows"></tbody></table>
    <div id="server-detail" data-testid="server-detail"></div>
  </section>
  <section id="browse" hidden data-testid="view-browse">
    <h2>Browse a mailbox as of any instant</h2>
    <form id="browse-form">
      <label>Account <input id="account" list="accounts" required data-testid="account" placeholder="name, zimbraId or server:mailboxId"></label>
      <datalist id="accounts"></datalist>
      <label>As of <input id="at" data-testid="at" placeholder="2026-12-05T10:15:00Z (empty: now)"></label>
      <button type="submit" data-testid="open">Open</button>
    </form>
    <div class="columns">
      <div><h3>Folders</h3><table><tbody id="folder-rows" data-testid="folder-rows"></tbody></table></div>
      <div><h3 id="items-title">Items</h3><table><tbody id="item-rows" data-testid="item-rows"></tbody></table></div>
      <div><h3>History</h3><ol id="history" data-testid="history"></ol></div>
    </div>
    <div id="restore-actions" hidden>
      <label>Into folder <input id="into-folder" placeholder="(where they were)"></label>
      <button id="restore-items" data-testid="restore-items">Restore selected items</button>
      <button id="restore-folder" data-testid="restore-folder">Restore this folder's items</button>
      <button id="restore-account" data-testid="restore-account">Restore the account</button>
    </div>
  </section>
  <section id="operations" hidden data-testid="view-operations">
    <h2>Operations</h2>
    <table><thead><tr><th>Operation</th><th>Kind</th><th>State</th><th>Progress</th><th>Created</th><th></th></tr></thead>
    <tbody id="operation-rows" data-testid="operation-rows"></tbody></table>
    <div id="report" data-testid="report"></div>
  </section>
  <section id="retention" hidden data-testid="view-retention">
    <h2>Holds and retention</h2>
    <div id="policy" data-testid="policy"></div>
    <table><thead><tr><th>Account on hold</th><th>Since</th><th>Reason</th><th></th></tr></thead><tbody id="hold-rows" data-testid="hold-rows"></tbody></table>
    <form id="hold-form">
      <label>Account <input id="hold-account" required></label>
      <label>Reason <input id="hold-reason" required></label>
      <button type="submit">Place a legal hold</button>
    </form>
  </section>
</main>
<script src="/console.js"></script>
</body>
</html>
`;

export const CONSOLE_CSS = `body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2433; }
header { background: #1d2433; color: #fff; padding: 8px 16px; display: flex; gap: 24px; align-items: center; }
header h1 { font-size: 18px; margin: 0; }
nav button { background: none; border: 1px solid #556; color: #fff; padding: 4px 10px; cursor: pointer; }
nav button.active { background: #3b4a6b; }
#message { margin: 0 0 0 auto; }
#message.error { color: #ffb4b4; }
main { padding: 16px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid #e3e6ee; vertical-align: top; }
tr.clickable { cursor: pointer; }
tr.clickable:hover, tr.selected { background: #eef2fb; }
.columns { display: grid; grid-template-columns: 1fr 2fr 1.4fr; gap: 16px; }
.timeline { position: relative; height: 18px; background: #f1f2f6; margin: 6px 0; }
.timeline span { position: absolute; top: 0; bottom: 0; background: #4f7bd9; }
.bad { color: #b3261e; }
progress { width: 120px; }
form label { margin-right: 12px; }
`;

export const CONSOLE_JS = `(function () {
  'use strict';
  var token = new URLSearchParams(location.search).get('token');
  if (token) {
    sessionStorage.setItem('offsite-token', token);
    history.replaceState(null, '', location.pathname);
  } else token = sessionStorage.getItem('offsite-token') || '';

  function $(id) { return document.getElementById(id); }
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) {
      if (k === 'text') node.textContent = props[k];
      else if (k === 'onclick') node.addEventListener('click', props[k]);
      else node.setAttribute(k, props[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function cells(values) { return values.map(function (v) { return el('td', { text: v === undefined || v === null ? '' : String(v) }); }); }
  function say(text, error) { var m = $('message'); m.textContent = text; m.className = error ? 'error' : ''; }
  function call(method, path, body) {
    return fetch(path, {
      method: method,
      headers: { 'x-offsite-token': token, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.message || ('HTTP ' + r.status));
        return j;
      });
    });
  }
  function api(method, path, body) { return call(method, '/api' + path, body); }
  function fail(error) { say(error.message, true); }
  function bytes(n) { return n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB'; }

  var views = ['servers', 'browse', 'operations', 'retention'];
  var loaders = {};
  function show(view) {
    views.forEach(function (v) { $(v).hidden = v !== view; });
    document.querySelectorAll('nav button').forEach(function (b) { b.classList.toggle('active', b.dataset.view === view); });
    if (loaders[view]) loaders[view]();
  }
  document.querySelectorAll('nav button').forEach(function (b) { b.addEventListener('click', function () { show(b.dataset.view); }); });

  // Servers: lag and the restore-point timeline.
  loaders.servers = function () {
    api('GET', '/status').then(function (body) {
      var rows = $('server-rows');
      rows.replaceChildren();
      body.servers.forEach(function (s) {
        var behind = s.behind.bytes === 0 ? 'current' : s.behind.bytes === null ? 'unknown' : bytes(s.behind.bytes) + (s.behind.seconds === null ? '' : ', ' + s.behind.seconds + ' s');
        var row = el('tr', { class: 'clickable', 'data-server': s.serverId, onclick: function () { serverDetail(s.serverId); } }, cells([
          s.serverId,
          s.agent ? s.agent.receivedAt : 'never',
          s.agent && s.agent.announced ? s.agent.announced.sequence + ':' + s.agent.announced.offset : '-',
          s.index.appliedTo ? s.index.appliedTo.sequence + ':' + s.index.appliedTo.offset + ' ' + (s.index.appliedOpTime || '') : '-',
          behind,
          s.index.state + (s.index.reason ? ' (' + s.index.reason + ')' : ''),
        ]));
        rows.appendChild(row);
      });
      if (body.servers.length === 0) say('no server has shipped anything yet');
    }).catch(fail);
  };
  function serverDetail(serverId) {
    api('GET', '/servers/' + encodeURIComponent(serverId) + '/restore-points').then(function (p) {
      var detail = $('server-detail');
      detail.replaceChildren(el('h3', { text: 'Restore points of ' + serverId }));
      var times = p.redo.map(function (r) { return [Date.parse(r.from), Date.parse(r.to)]; });
      var start = Math.min.apply(null, times.map(function (t) { return t[0]; }));
      var end = Math.max.apply(null, times.map(function (t) { return t[1]; }));
      var line = el('div', { class: 'timeline', 'data-testid': 'timeline' });
      times.forEach(function (t, i) {
        var span = (end - start) || 1;
        var bar = el('span', { title: p.redo[i].from + ' to ' + p.redo[i].to });
        bar.style.left = ((t[0] - start) / span * 100) + '%';
        bar.style.width = Math.max(0.5, (t[1] - t[0]) / span * 100) + '%';
        line.appendChild(bar);
      });
      detail.appendChild(line);
      p.redo.forEach(function (r) { detail.appendChild(el('div', { text: 'redo ' + r.from + ' to ' + r.to + ' (' + r.segments + ' segments, ' + bytes(r.bytes) + ')' })); });
      detail.appendChild(el('div', { text: p.ldapDumps.length + ' LDAP dumps' + (p.ldapDumps.length ? ', the last at ' + p.ldapDumps[p.ldapDumps.length - 1].dumpedAt : '') }));
      if (p.waiting.state === 'gap') detail.appendChild(el('div', { class: 'bad', text: 'GAP: ' + (p.waiting.reason || '') }));
      p.quarantined.forEach(function (q) { detail.appendChild(el('div', { class: 'bad', text: 'QUARANTINED ' + q.s3Key + ': ' + q.reason })); });
    }).catch(fail);
  }

  // Browse: a mailbox as of an instant, its folders, their items, an item's history; restore from there.
  var current = null;
  loaders.browse = function () {
    api('GET', '/accounts').then(function (body) {
      $('accounts').replaceChildren.apply($('accounts'), body.accounts.map(function (a) {
        return el('option', { value: a.name || (a.serverId + ':' + a.mailboxId) });
      }));
    }).catch(fail);
  };
  function atQuery() { var at = $('at').value.trim(); return at ? 'at=' + encodeURIComponent(at) : ''; }
  $('browse-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var account = $('account').value.trim();
    api('GET', '/mailboxes/' + encodeURIComponent(account) + '?' + atQuery()).then(function (m) {
      current = { account: account, at: m.at, folder: null, items: [] };
      say(m.serverId + ':' + m.mailboxId + ' as of ' + m.at);
      $('restore-actions').hidden = false;
      var rows = $('folder-rows');
      rows.replaceChildren();
      m.folders.forEach(function (f) {
        var count = f.messages + f.contacts + f.appointments + f.tasks + f.documents + f.notes;
        rows.appendChild(el('tr', { class: 'clickable', 'data-folder': f.path, onclick: function () { openFolder(f); } }, cells([f.path, count + ' items'])));
      });
      $('item-rows').replaceChildren();
      $('history').replaceChildren();
    }).catch(fail);
  });
  function openFolder(folder) {
    document.querySelectorAll('#folder-rows tr').forEach(function (r) { r.classList.toggle('selected', r.dataset.folder === folder.path); });
    var q = 'type=all&folder=' + folder.id + '&at=' + encodeURIComponent(current.at);
    api('GET', '/mailboxes/' + encodeURIComponent(current.account) + '/search?' + q).then(function (body) {
      current.folder = folder;
      current.items = body.items;
      $('items-title').textContent = 'Items in ' + folder.path;
      var rows = $('item-rows');
      rows.replaceChildren();
      body.items.forEach(function (item) {
        var box = el('input', { type: 'checkbox', 'data-item': String(item.id) });
        var link = el('a', { href: '#', text: item.subject || '(no subject)', onclick: function (e) { e.preventDefault(); itemHistory(item.id); } });
        rows.appendChild(el('tr', {}, [el('td', {}, [box]), el('td', { text: item.type }), el('td', {}, [link]), el('td', { text: item.from || '' }), el('td', { text: item.receivedDate || item.start || '' })]));
      });
    }).catch(fail);
  }
  function itemHistory(itemId) {
    api('GET', '/mailboxes/' + encodeURIComponent(current.account) + '/items/' + itemId).then(function (body) {
      var list = $('history');
      list.replaceChildren();
      body.history.forEach(function (h) {
        var s = h.state || {};
        list.appendChild(el('li', { text: h.from + ' to ' + (h.to || 'now') + ': ' + h.op + (h.endedBy ? ' (ended by ' + h.endedBy + ')' : '') + ' ' + (s.subject || s.name || '') + (s.folderId !== undefined ? ' in folder ' + s.folderId : '') }));
      });
    }).catch(fail);
  }
  function restore(params) {
    var into = $('into-folder').value.trim();
    if (into && params.mode === 'item') params.folder = into;
    params.at = current.at;
    api('POST', '/operations', { kind: 'restore', params: params }).then(function (op) {
      say('restore ' + op.id + ' started');
      selected = op.id;
      show('operations');
    }).catch(fail);
  }
  $('restore-items').addEventListener('click', function () {
    var ids = [];
    document.querySelectorAll('#item-rows input:checked').forEach(function (b) { ids.push(Number(b.dataset.item)); });
    if (ids.length === 0) return say('select items first', true);
    restore({ mode: 'item', accounts: [current.account], itemIds: ids });
  });
  $('restore-folder').addEventListener('click', function () {
    if (!current || !current.folder || current.items.length === 0) return say('open a folder with items first', true);
    restore({ mode: 'item', accounts: [current.account], itemIds: current.items.map(function (i) { return i.id; }) });
  });
  $('restore-account').addEventListener('click', function () {
    restore({ mode: 'point-in-time', accounts: [current.account] });
  });

  // Operations: live progress, stop, a restore's report.
  var selected = null;
  var polling = null;
  loaders.operations = function () {
    var load = function () {
      if ($('operations').hidden) { clearInterval(polling); polling = null; return; }
      Promise.all(['queued', 'running', 'succeeded', 'failed', 'stopped'].map(function (state) {
        return api('GET', '/operations?state=' + state).then(function (b) { return b.operations; });
      })).then(function (lists) {
        var ops = [].concat.apply([], lists).sort(function (a, b) { return b.createdAt < a.createdAt ? -1 : 1; }).slice(0, 30);
        var rows = $('operation-rows');
        rows.replaceChildren();
        ops.forEach(function (op) {
          var bar = el('progress', { max: String(Math.max(1, op.total)), value: String(op.done) });
          var actions = el('td', {});
          if (op.state === 'queued' || op.state === 'running')
            actions.appendChild(el('button', { text: 'Stop', onclick: function () { api('POST', '/operations/' + op.id + '/stop').then(load).catch(fail); } }));
          if (op.kind === 'restore' && op.state === 'succeeded')
            actions.appendChild(el('button', { text: 'Report', 'data-testid': 'report-' + op.id, onclick: function () { report(op.id); } }));
          var row = el('tr', { 'data-operation': op.id, 'data-state': op.state, class: op.id === selected ? 'selected' : '' }, [
            el('td', { text: op.id.slice(0, 8) }), el('td', { text: op.kind }), el('td', { text: op.state + (op.error ? ': ' + op.error : ''), class: op.state === 'failed' ? 'bad' : '' }),
            el('td', {}, [bar, document.createTextNode(' ' + op.done + '/' + op.total + (op.failed ? ', ' + op.failed + ' failed' : ''))]),
            el('td', { text: op.createdAt }), actions,
          ]);
          rows.appendChild(row);
        });
      }).catch(fail);
    };
    load();
    if (!polling) polling = setInterval(load, 2000);
  };
  function report(id) {
    call('GET', '/local/report/' + id).then(function (r) {
      var box = $('report');
      box.replaceChildren(el('h3', { text: 'Report of ' + id }));
      box.appendChild(el('div', { 'data-testid': 'report-totals', text: r.totals.restored + ' items restored (' + bytes(r.totals.bytes) + ') in ' + r.totals.accounts + ' account(s), ' + r.totals.unrestored + ' not restored' }));
      r.accounts.forEach(function (a) {
        box.appendChild(el('div', { text: a.name + ' to ' + a.target + ': ' + a.restored + ' restored' }));
        a.unrestored.forEach(function (u) { box.appendChild(el('div', { class: 'bad', text: '  not restored: ' + JSON.stringify(u) })); });
      });
    }).catch(fail);
  }

  // Holds and retention.
  loaders.retention = function () {
    api('GET', '/retention').then(function (v) {
      var keep = function (n) { return n === 0 ? 'everything' : n + ' days'; };
      var policy = $('policy');
      policy.replaceChildren(el('div', { text: 'Default: ' + keep(v.policy.defaultDays) }));
      [['server', v.policy.servers], ['class of service', v.policy.cos], ['account', v.policy.accounts]].forEach(function (pair) {
        Object.keys(pair[1] || {}).forEach(function (id) { policy.appendChild(el('div', { text: pair[0] + ' ' + id + ': ' + keep(pair[1][id]) })); });
      });
      var rows = $('hold-rows');
      rows.replaceChildren();
      v.holds.forEach(function (h) {
        var release = el('button', { text: 'Release', onclick: function () {
          api('POST', '/holds/' + encodeURIComponent(h.accountId) + '/release').then(loaders.retention).catch(fail);
        } });
        rows.appendChild(el('tr', { 'data-hold': h.accountId }, cells([h.accountId, h.since, h.reason]).concat([el('td', {}, [release])])));
      });
    }).catch(fail);
  };
  $('hold-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var account = $('hold-account').value.trim();
    var uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(account);
    (uuid ? Promise.resolve({ accountId: account }) : api('GET', '/mailboxes/' + encodeURIComponent(account)))
      .then(function (m) { return api('POST', '/holds', { accountId: m.accountId, reason: $('hold-reason').value }); })
      .then(function () { say('hold placed'); loaders.retention(); })
      .catch(fail);
  });

  show('servers');
})();
`;
