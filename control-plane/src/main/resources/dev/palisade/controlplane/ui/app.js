// Palisade auditor's page: vanilla JS over the admin port's read-only JSON API (control-plane/README.md).
// Every string that comes from the API (SPIFFE IDs, paths, policy names) enters the DOM through textContent or
// setAttribute, never as markup: a flow's path is whatever a caller sent.
'use strict';

(function () {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const TOKEN_KEY = 'palisade.adminToken';
  const LIVE_INTERVAL_MS = 2000;
  const LIVE_MAX_BACKOFF_MS = 30000;
  const LIVE_MAX_ROWS = 500;
  const DECISIONS = ['allow', 'deny', 'audit', 'dry-run-deny', 'none'];

  const $ = (id) => document.getElementById(id);

  // ---- DOM helpers --------------------------------------------------------------------------------------------

  /** An HTML element; attrs are set with setAttribute, children are nodes or text. */
  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    setAttrs(e, attrs);
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }

  /** An SVG element. */
  function s(tag, attrs) {
    const e = document.createElementNS(SVG_NS, tag);
    setAttrs(e, attrs);
    return e;
  }

  function setAttrs(e, attrs) {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs)) {
      if (v !== null && v !== undefined) e.setAttribute(k, String(v));
    }
  }

  function clear(e) {
    while (e.firstChild) e.removeChild(e.firstChild);
  }

  function show(e, visible) {
    e.classList.toggle('hidden', !visible);
  }

  function fmtTime(t) {
    if (!t) return '—';
    return String(t).replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function setStatus(text) {
    $('status').textContent = text;
  }

  function showError(err) {
    const box = $('error');
    if (!err) {
      show(box, false);
      box.textContent = '';
      return;
    }
    box.textContent = err instanceof ApiError ? err.message : 'Error: ' + (err && err.message ? err.message : err);
    show(box, true);
  }

  // ---- API: bearer token from sessionStorage, a prompt on 401 -------------------------------------------------

  class ApiError extends Error {
    constructor(status, detail, path) {
      super(path.split('?')[0] + ': ' + status + (detail ? ' — ' + detail : ''));
      this.status = status;
    }
  }

  let tokenWaiters = [];
  let memoryToken = null;

  function storedToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch (e) {
      return null;
    }
  }

  /** Shows the token prompt (once, however many calls wait) and resolves when a token was entered. */
  function askForToken(reason) {
    return new Promise((resolve) => {
      tokenWaiters.push(resolve);
      $('token-reason').textContent = reason;
      const overlay = $('token-overlay');
      if (overlay.classList.contains('hidden')) {
        show(overlay, true);
        $('token-input').value = '';
        $('token-input').focus();
      }
    });
  }

  function tokenEntered(ev) {
    ev.preventDefault();
    const value = $('token-input').value.trim();
    if (!value) return;
    try {
      sessionStorage.setItem(TOKEN_KEY, value);
    } catch (e) {
      // Storage disabled: the token lives only as long as this call chain, asked again on the next 401.
      memoryToken = value;
    }
    show($('token-overlay'), false);
    const waiters = tokenWaiters;
    tokenWaiters = [];
    for (const w of waiters) w();
  }

  /** GET path with the token; asks for the token on 401 and retries; a non-2xx answer is an ApiError. */
  async function apiFetch(path) {
    for (;;) {
      const token = storedToken() || memoryToken;
      const headers = { Accept: 'application/json' };
      if (token) headers.Authorization = 'Bearer ' + token;
      const res = await fetch(path, { headers, cache: 'no-store', credentials: 'omit', redirect: 'error' });
      if (res.status === 401) {
        await askForToken(token
          ? 'The control plane refused that token (401). Enter its admin token again.'
          : 'This control plane asks for its admin token (401).');
        continue;
      }
      if (!res.ok) {
        let detail = res.statusText;
        try {
          const body = await res.json();
          if (body && body.error) detail = body.error;
        } catch (e) {
          // Not JSON: the status text says enough.
        }
        throw new ApiError(res.status, detail, path);
      }
      return res;
    }
  }

  async function api(path) {
    const res = await apiFetch(path);
    return res.json();
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v !== null && v !== undefined && String(v).trim() !== '') q.set(k, String(v).trim());
    }
    return q.toString();
  }

  // ---- Tabs ---------------------------------------------------------------------------------------------------

  const VIEWS = ['graph', 'flows', 'policies', 'integrity'];
  const loaded = {};
  let currentView = null;

  function showView(name) {
    if (!VIEWS.includes(name)) name = 'graph';
    currentView = name;
    for (const v of VIEWS) {
      show($('view-' + v), v === name);
      const tab = $('tab-' + v);
      tab.classList.toggle('active', v === name);
      tab.setAttribute('aria-selected', String(v === name));
    }
    if (location.hash !== '#' + name) history.replaceState(null, '', '#' + name);
    if (!loaded[name]) {
      loaded[name] = true;
      refresh(name);
    }
  }

  function refresh(name) {
    const run = { graph: loadGraph, flows: loadFlowsPage, policies: loadPolicies, integrity: loadIntegrity }[name];
    run().then(() => {
      showError(null);
      setStatus('updated ' + new Date().toLocaleTimeString());
    }, showError);
  }

  // ---- Graph --------------------------------------------------------------------------------------------------

  const NODE_R = 14;
  let graphData = null;

  let graphRequest = 0;

  async function loadGraph() {
    const mine = ++graphRequest;
    const since = $('graph-window').value;
    const data = await api('/api/graph?' + query({ since }));
    if (mine !== graphRequest) return;
    graphData = data;
    renderGraph(data);
    closeEdge();
  }

  function strokeWidth(count) {
    return Math.min(8, 1.5 + 1.5 * Math.log10(Math.max(1, Number(count) || 1)));
  }

  function shortLabel(text, max) {
    return text.length > max ? text.slice(0, max - 1) + '…' : text;
  }

  /** Namespaces around a circle (sorted by name, callers from outside the mesh last), workloads around each. */
  function layout(nodes) {
    const groups = new Map();
    for (const n of nodes) {
      const ns = n.namespace || '';
      if (!groups.has(ns)) groups.set(ns, []);
      groups.get(ns).push(n);
    }
    const names = [...groups.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a < b ? -1 : a > b ? 1 : 0));
    const list = names.map((ns) => {
      const members = groups.get(ns).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const inner = members.length === 1 ? 0 : Math.max(64, (members.length * 78) / (2 * Math.PI));
      return { ns, members, inner, r: inner + 46 };
    });
    const total = list.reduce((sum, g) => sum + 2 * g.r + 70, 0);
    const bigR = list.length === 1 ? 0 : Math.max(190, total / (2 * Math.PI));
    const pos = new Map();
    let acc = 0;
    for (const g of list) {
      const share = (2 * g.r + 70) / total;
      const angle = -Math.PI / 2 + 2 * Math.PI * (acc + share / 2);
      acc += share;
      g.x = bigR * Math.cos(angle);
      g.y = bigR * Math.sin(angle);
      g.members.forEach((n, j) => {
        const a = -Math.PI / 2 + (2 * Math.PI * j) / g.members.length;
        pos.set(n.id, { x: g.x + g.inner * Math.cos(a), y: g.y + g.inner * Math.sin(a), group: g });
      });
    }
    return { groups: list, pos };
  }

  function renderGraph(data) {
    const svg = $('graph-svg');
    clear(svg);
    const nodes = data.nodes || [];
    const edges = data.edges || [];
    show($('graph-empty'), nodes.length === 0);
    $('graph-summary').textContent = nodes.length + ' workloads, ' + edges.length + ' edges, '
      + fmtTime(data.since) + ' – ' + fmtTime(data.until) + (data.truncated ? ' (largest 5,000 edges only)' : '');
    if (nodes.length === 0) {
      svg.setAttribute('viewBox', '0 0 800 200');
      return;
    }
    const { groups, pos } = layout(nodes);

    // Bounds: every group circle with room for its label.
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const g of groups) {
      minX = Math.min(minX, g.x - g.r - 40);
      maxX = Math.max(maxX, g.x + g.r + 40);
      minY = Math.min(minY, g.y - g.r - 34);
      maxY = Math.max(maxY, g.y + g.r + 30);
    }
    svg.setAttribute('viewBox', [minX, minY, maxX - minX, maxY - minY].map((v) => v.toFixed(1)).join(' '));

    const defs = s('defs');
    for (const d of DECISIONS) {
      const m = s('marker', {
        id: 'arrow-' + d, class: 'arrow ' + d, viewBox: '0 0 10 10', refX: 9, refY: 5,
        markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto',
      });
      m.appendChild(s('path', { d: 'M0,0 L10,5 L0,10 z' }));
      defs.appendChild(m);
    }
    svg.appendChild(defs);

    const groupLayer = s('g', { class: 'groups' });
    for (const g of groups) {
      const ring = s('circle', { class: 'ns-group' + (g.ns === '' ? ' outside' : ''), cx: g.x, cy: g.y, r: g.r });
      groupLayer.appendChild(ring);
      const label = s('text', { class: 'ns-label', x: g.x, y: g.y - g.r - 10, 'data-namespace': g.ns });
      label.textContent = g.ns === '' ? 'outside the mesh' : 'namespace ' + g.ns;
      groupLayer.appendChild(label);
    }
    svg.appendChild(groupLayer);

    // Parallel edges: every edge between the same two nodes (either direction) gets its own offset.
    const pairs = new Map();
    for (const e of edges) {
      const key = e.source < e.destination ? e.source + '\n' + e.destination : e.destination + '\n' + e.source;
      if (!pairs.has(key)) pairs.set(key, []);
      pairs.get(key).push(e);
    }
    const edgeLayer = s('g', { class: 'edges' });
    for (const [key, list] of pairs) {
      list.sort((a, b) => (a.source + a.decision < b.source + b.decision ? -1 : 1));
      const [lo, hi] = key.split('\n');
      list.forEach((e, k) => {
        const a = pos.get(e.source);
        const b = pos.get(e.destination);
        if (!a || !b) return;
        // A slight bend proportional to the distance keeps long edges off the nodes they would run through.
        const base = e.source === e.destination ? 0 : 0.12 * Math.hypot(b.x - a.x, b.y - a.y);
        const offset = base + (k - (list.length - 1) / 2) * 16;
        const d = e.source === e.destination ? loopPath(a, k) : curvePath(a, b, pos.get(lo), pos.get(hi), offset);
        edgeLayer.appendChild(edgeElement(e, d));
      });
    }
    svg.appendChild(edgeLayer);

    const nodeLayer = s('g', { class: 'nodes' });
    for (const n of nodes) {
      nodeLayer.appendChild(nodeElement(n, pos.get(n.id)));
    }
    svg.appendChild(nodeLayer);
  }

  /** A quadratic curve from a to b whose middle sits `offset` off the straight line (normal of lo→hi). */
  function curvePath(a, b, lo, hi, offset) {
    const dx = hi.x - lo.x;
    const dy = hi.y - lo.y;
    const len = Math.hypot(dx, dy) || 1;
    const nx = -dy / len;
    const ny = dx / len;
    const cx = (a.x + b.x) / 2 + nx * offset * 2;
    const cy = (a.y + b.y) / 2 + ny * offset * 2;
    const start = towards(a, { x: cx, y: cy }, NODE_R + 2);
    const end = towards(b, { x: cx, y: cy }, NODE_R + 3);
    return 'M' + f(start.x) + ',' + f(start.y) + ' Q' + f(cx) + ',' + f(cy) + ' ' + f(end.x) + ',' + f(end.y);
  }

  /** A loop for calls of a workload to itself, pointing away from its namespace's centre. */
  function loopPath(a, k) {
    const g = a.group;
    let ang = Math.atan2(a.y - g.y, a.x - g.x);
    if (!isFinite(ang) || (a.x === g.x && a.y === g.y)) ang = -Math.PI / 2;
    const size = 34 + k * 12;
    const p1 = { x: a.x + NODE_R * Math.cos(ang - 0.5), y: a.y + NODE_R * Math.sin(ang - 0.5) };
    const p2 = { x: a.x + (NODE_R + 3) * Math.cos(ang + 0.5), y: a.y + (NODE_R + 3) * Math.sin(ang + 0.5) };
    const c1 = { x: a.x + size * Math.cos(ang - 0.7), y: a.y + size * Math.sin(ang - 0.7) };
    const c2 = { x: a.x + size * Math.cos(ang + 0.7), y: a.y + size * Math.sin(ang + 0.7) };
    return 'M' + f(p1.x) + ',' + f(p1.y) + ' C' + f(c1.x) + ',' + f(c1.y) + ' ' + f(c2.x) + ',' + f(c2.y)
      + ' ' + f(p2.x) + ',' + f(p2.y);
  }

  function towards(p, q, dist) {
    const dx = q.x - p.x;
    const dy = q.y - p.y;
    const len = Math.hypot(dx, dy) || 1;
    return { x: p.x + (dx / len) * dist, y: p.y + (dy / len) * dist };
  }

  function f(v) {
    return v.toFixed(1);
  }

  function edgeElement(e, d) {
    const decision = DECISIONS.includes(e.decision) ? e.decision : 'none';
    const g = s('g', {
      class: 'edge ' + decision, id: 'edge-' + e.id, tabindex: 0, role: 'button',
      'data-source': e.source, 'data-destination': e.destination, 'data-decision': e.decision,
      'data-count': e.count, 'aria-label': e.source + ' to ' + e.destination + ': ' + e.decision + ', ' + e.count,
    });
    const title = s('title');
    title.textContent = e.source + ' → ' + e.destination + '\n' + e.decision + ': ' + e.count + ' records';
    g.appendChild(title);
    g.appendChild(s('path', { class: 'hit', d }));
    g.appendChild(s('path', {
      class: 'line', d, 'stroke-width': strokeWidth(e.count).toFixed(2), 'marker-end': 'url(#arrow-' + decision + ')',
    }));
    g.addEventListener('click', () => openEdge(e, g));
    g.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        openEdge(e, g);
      }
    });
    return g;
  }

  function nodeElement(n, p) {
    const kind = n.kind || 'workload';
    const g = s('g', {
      class: 'node ' + kind, 'data-id': n.id, 'data-kind': kind, transform: 'translate(' + f(p.x) + ',' + f(p.y) + ')',
      tabindex: 0,
    });
    const title = s('title');
    title.textContent = kind === 'plaintext' ? 'callers without mTLS (PERMISSIVE): no verified identity' : n.id;
    g.appendChild(title);
    if (kind === 'plaintext') {
      const r = NODE_R + 3;
      g.appendChild(s('polygon', { class: 'plaintext-shape', points: '0,' + -r + ' ' + r + ',0 0,' + r + ' ' + -r + ',0' }));
      const warn = s('text', { class: 'warn', y: 4 });
      warn.textContent = '!';
      g.appendChild(warn);
    } else {
      g.appendChild(s('circle', { r: NODE_R }));
    }
    const label = s('text', { class: 'label', y: NODE_R + 14 });
    label.textContent = shortLabel(kind === 'external' ? n.id : n.name || n.id, 26);
    g.appendChild(label);
    if (kind === 'plaintext') {
      const note = s('text', { class: 'warn', y: NODE_R + 27 });
      note.textContent = 'no mTLS';
      g.appendChild(note);
    }
    g.addEventListener('click', () => focusNode(n.id));
    return g;
  }

  let focusedNode = null;

  /** Clicking a node dims every edge not touching it; clicking it again shows all. */
  function focusNode(id) {
    focusedNode = focusedNode === id ? null : id;
    for (const e of document.querySelectorAll('#graph-svg .edge')) {
      const touches = e.getAttribute('data-source') === focusedNode || e.getAttribute('data-destination') === focusedNode;
      e.classList.toggle('dim', focusedNode !== null && !touches);
    }
  }

  let edgeRequest = 0;

  async function openEdge(e, g) {
    for (const x of document.querySelectorAll('#graph-svg .edge.selected')) x.classList.remove('selected');
    g.classList.add('selected');
    const panel = $('edge-panel');
    show(panel, true);
    panel.setAttribute('data-edge', e.id);
    $('edge-title').textContent = e.decision + ' edge';
    $('edge-source').textContent = e.source;
    $('edge-destination').textContent = e.destination;
    $('edge-decision').textContent = e.decision;
    $('edge-count').textContent = String(e.count);
    const rulesBody = $('edge-rules').tBodies[0];
    const flowsBody = $('edge-flows').tBodies[0];
    clear(rulesBody);
    clear(flowsBody);
    panel.removeAttribute('data-loaded');
    const mine = ++edgeRequest;
    const since = graphData && graphData.since ? graphData.since : $('graph-window').value;
    const until = graphData && graphData.until ? graphData.until : '';
    try {
      const [rules, flows] = await Promise.all([
        api('/api/graph/edge?' + query({ source: e.source, destination: e.destination, since, until })),
        // The edge is one decision class: its flows and the rules that decided them, not the pair's others.
        api('/api/flows?' + query({ from: e.source, to: e.destination, decision: e.decision, since, until, limit: 50 })),
      ]);
      if (mine !== edgeRequest) return;
      for (const r of (rules.rules || []).filter((r) => r.decision === e.decision)) {
        rulesBody.appendChild(h('tr', null,
          h('td', null, r.policy || '(none: mesh default)'),
          h('td', { class: 'num' }, r.rule < 0 ? '—' : String(r.rule)),
          h('td', null, badge(r.decision)),
          h('td', { class: 'num' }, String(r.count))));
      }
      if (!rulesBody.firstChild) rulesBody.appendChild(h('tr', null, h('td', { colspan: 4, class: 'empty' }, 'none')));
      for (const row of flows.flows || []) {
        const rec = row.record || {};
        flowsBody.appendChild(h('tr', { 'data-seq': row.seq, 'data-sidecar': row.sidecar },
          h('td', { class: 'time', title: fmtTime(row.time) }, fmtTime(row.time).split(' ').pop()),
          h('td', null, decisionBadges(row.decision)),
          h('td', { class: 'num' }, rec.status ? String(rec.status) : '—'),
          h('td', null, rec.method || ''),
          h('td', { class: 'path' }, rec.path || '')));
      }
      if (!flowsBody.firstChild) flowsBody.appendChild(h('tr', null, h('td', { colspan: 5, class: 'empty' }, 'none')));
      panel.setAttribute('data-loaded', 'true');
      showError(null);
    } catch (err) {
      showError(err);
    }
  }

  function closeEdge() {
    show($('edge-panel'), false);
    $('edge-panel').removeAttribute('data-edge');
    for (const x of document.querySelectorAll('#graph-svg .edge.selected')) x.classList.remove('selected');
  }

  function openEdgeInFlows() {
    const panel = $('edge-panel');
    const id = panel.getAttribute('data-edge');
    const g = id ? document.getElementById('edge-' + id) : null;
    if (!g) return;
    $('f-since').value = $('graph-window').value;
    $('f-until').value = '';
    $('f-from').value = g.getAttribute('data-source');
    $('f-to').value = g.getAttribute('data-destination');
    $('f-decision').value = g.getAttribute('data-decision') || '';
    $('f-policy').value = '';
    $('f-status').value = '';
    $('f-path').value = '';
    loaded.flows = true;
    showView('flows');
    applyFilters();
  }

  function badge(text) {
    return h('span', { class: 'badge ' + text }, text);
  }

  /** "allow+audit+dry-run-deny" as one badge each. */
  function decisionBadges(text) {
    const span = h('span', { class: 'decisions' });
    String(text || 'none').split('+').forEach((d, i) => {
      if (i > 0) span.appendChild(document.createTextNode(' '));
      span.appendChild(badge(d));
    });
    return span;
  }

  // ---- Flows --------------------------------------------------------------------------------------------------

  const flows = {
    cursors: [null], // cursors[i] opens page i; page 0 needs none
    page: 0,
    nextCursor: null,
    live: false,
    paused: false,
    tailToken: null,
    generation: 0,
    timer: null,
    inFlight: null, // the generation whose tail request is open
    backoff: LIVE_INTERVAL_MS,
  };

  function filterValues() {
    return {
      since: $('f-since').value,
      until: $('f-until').value,
      from: $('f-from').value,
      to: $('f-to').value,
      decision: $('f-decision').value,
      policy: $('f-policy').value,
      status: $('f-status').value,
      pathPrefix: $('f-path').value,
    };
  }

  let pageRequest = 0;

  async function loadFlowsPage() {
    if (flows.live) return;
    const mine = ++pageRequest;
    const params = Object.assign(filterValues(), { limit: $('f-limit').value, cursor: flows.cursors[flows.page] });
    const data = await api('/api/flows?' + query(params));
    if (mine !== pageRequest || flows.live) return; // a newer request or live mode took the table over
    const body = $('flows-body');
    clear(body);
    for (const row of data.flows || []) body.appendChild(flowRow(row, false));
    flows.nextCursor = data.nextCursor || null;
    show($('flows-empty'), body.rows.length === 0);
    pagingButtons();
  }

  function pagingButtons() {
    $('flows-prev').disabled = flows.live || flows.page === 0;
    $('flows-next').disabled = flows.live || !flows.nextCursor;
    $('flows-page').textContent = flows.live ? 'live' : 'page ' + (flows.page + 1);
  }

  function flowRow(row, fresh) {
    const rec = row.record || {};
    const source = rec.sourceId
      ? idCell(rec.sourceId)
      : h('td', { class: 'id' }, h('span', { class: 'badge plaintext', title: 'no mTLS' }, 'unauthenticated'));
    const rule = Number(rec.rule || 0);
    const policy = rec.policy ? rec.policy + (rule >= 0 ? ' #' + rule : '') : '—';
    return h('tr', { class: fresh ? 'fresh' : null, 'data-sidecar': row.sidecar, 'data-seq': row.seq },
      h('td', { class: 'time' }, fmtTime(row.time)),
      source,
      idCell(rec.destinationId || ''),
      h('td', null, rec.method || (rec.protocol === 'TCP' ? 'tcp' : '')),
      h('td', { class: 'path' }, rec.path || ''),
      h('td', { class: 'num' }, rec.status ? String(rec.status) : '—'),
      h('td', null, decisionBadges(row.decision)),
      h('td', { class: 'nowrap' }, policy),
      h('td', { class: 'id', title: row.sidecar }, shortId(row.sidecar) + ' · ' + row.seq));
  }

  const WORKLOAD_ID = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/;

  /** spiffe://td/ns/NS/sa/SA as NS/SA (the whole ID in the title); anything else unchanged. */
  function shortId(id) {
    const m = WORKLOAD_ID.exec(id || '');
    return m ? m[1] + '/' + m[2] : id || '';
  }

  function idCell(id) {
    return h('td', { class: 'id', title: id, 'data-id': id }, shortId(id));
  }

  function applyFilters(ev) {
    if (ev) ev.preventDefault();
    if (flows.live) {
      startLive();
      return;
    }
    flows.cursors = [null];
    flows.page = 0;
    refresh('flows');
  }

  function resetFilters() {
    $('flows-filters').reset();
    applyFilters();
  }

  function nextPage() {
    if (!flows.nextCursor || flows.live) return;
    flows.cursors.push(flows.nextCursor);
    flows.nextCursor = null;
    flows.page++;
    refresh('flows');
  }

  function previousPage() {
    if (flows.page === 0 || flows.live) return;
    flows.cursors.pop();
    flows.page--;
    refresh('flows');
  }

  async function exportFlows(format) {
    const params = Object.assign(filterValues(), { format });
    try {
      const res = await apiFetch('/api/flows/export?' + query(params));
      const blob = await res.blob();
      const disposition = res.headers.get('Content-Disposition') || '';
      const match = /filename="([A-Za-z0-9._-]+)"/.exec(disposition);
      const name = match ? match[1] : format === 'csv' ? 'flows.csv' : 'flows.ndjson';
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: name, class: 'hidden' });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30000);
      setStatus('exported ' + name + ' (' + blob.size + ' bytes)');
      showError(null);
    } catch (err) {
      showError(err);
    }
  }

  // Live: poll /api/flows/tail every 2 s while the page is visible and the Flows view is shown; newest on top.

  function toggleLive() {
    if (flows.live) {
      stopLive();
      flows.cursors = [null];
      flows.page = 0;
      refresh('flows');
    } else {
      startLive();
    }
  }

  function startLive() {
    stopLive();
    pageRequest++; // a page still loading must not fill the live table
    flows.live = true;
    flows.paused = false;
    flows.tailToken = null;
    flows.backoff = LIVE_INTERVAL_MS;
    const generation = ++flows.generation;
    $('flows-live').setAttribute('aria-pressed', 'true');
    $('flows-pause').disabled = false;
    $('flows-pause').setAttribute('aria-pressed', 'false');
    $('flows-pause').textContent = 'Pause';
    clear($('flows-body'));
    show($('flows-empty'), false);
    pagingButtons();
    liveState('starting…');
    poll(generation);
  }

  function stopLive() {
    flows.generation++;
    flows.live = false;
    if (flows.timer) clearTimeout(flows.timer);
    flows.timer = null;
    $('flows-live').setAttribute('aria-pressed', 'false');
    $('flows-pause').disabled = true;
    $('flows-live-state').textContent = '';
    document.body.removeAttribute('data-live');
    pagingButtons();
  }

  function togglePause() {
    flows.paused = !flows.paused;
    $('flows-pause').setAttribute('aria-pressed', String(flows.paused));
    $('flows-pause').textContent = flows.paused ? 'Resume' : 'Pause';
    liveState(flows.paused ? 'paused' : 'live');
    if (!flows.paused) {
      if (flows.timer) clearTimeout(flows.timer);
      poll(flows.generation);
    }
  }

  function liveState(text) {
    $('flows-live-state').textContent = text;
    document.body.setAttribute('data-live', text);
  }

  function schedule(generation, ms) {
    if (generation !== flows.generation) return;
    if (flows.timer) clearTimeout(flows.timer);
    flows.timer = setTimeout(() => poll(generation), ms);
  }

  async function poll(generation) {
    if (generation !== flows.generation || !flows.live) return;
    if (flows.paused || flows.inFlight === generation) return;
    if (document.visibilityState !== 'visible' || currentView !== 'flows') {
      schedule(generation, LIVE_INTERVAL_MS);
      return;
    }
    const f = filterValues();
    const params = {
      from: f.from, to: f.to, decision: f.decision, policy: f.policy, status: f.status, pathPrefix: f.pathPrefix,
    };
    if (flows.tailToken) params.after = flows.tailToken;
    else params.limit = Math.min(Number($('f-limit').value) || 100, LIVE_MAX_ROWS);
    flows.inFlight = generation;
    try {
      const data = await api('/api/flows/tail?' + query(params));
      if (flows.inFlight === generation) flows.inFlight = null;
      if (generation !== flows.generation) return;
      const initial = flows.tailToken === null;
      const body = $('flows-body');
      for (const row of data.flows || []) {
        body.insertBefore(flowRow(row, !initial), body.firstChild);
      }
      while (body.rows.length > LIVE_MAX_ROWS) body.deleteRow(body.rows.length - 1);
      if (data.next) flows.tailToken = data.next;
      flows.backoff = LIVE_INTERVAL_MS;
      show($('flows-empty'), body.rows.length === 0);
      showError(null);
      if (!flows.paused) liveState('live: ' + body.rows.length + ' rows, polled ' + new Date().toLocaleTimeString());
      schedule(generation, LIVE_INTERVAL_MS);
    } catch (err) {
      if (flows.inFlight === generation) flows.inFlight = null;
      if (generation !== flows.generation) return;
      flows.backoff = Math.min(flows.backoff * 2, LIVE_MAX_BACKOFF_MS);
      showError(err);
      liveState('error; retrying in ' + Math.round(flows.backoff / 1000) + ' s');
      schedule(generation, flows.backoff);
    }
  }

  // ---- Policies -----------------------------------------------------------------------------------------------

  async function loadPolicies() {
    const since = $('policies-window').value;
    const data = await api('/api/policies?' + query({ since }));
    const list = $('policies-list');
    clear(list);
    const workloads = data.workloads || [];
    show($('policies-empty'), workloads.length === 0);
    for (const w of workloads) {
      const box = h('div', { class: 'workload', 'data-workload': (w.namespace || '') + '/' + (w.workload || '') },
        h('h2', null, (w.namespace ? w.namespace + '/' : '') + (w.workload || '')),
        h('p', { class: 'ids' }, (w.spiffeIds || []).join(', ')));
      const policies = w.policies || [];
      if (policies.length === 0) box.appendChild(h('p', { class: 'empty' }, 'No AuthorizationPolicy selects it.'));
      for (const p of policies) {
        const table = h('table', { class: 'grid rules' },
          h('thead', null, h('tr', null,
            h('th', null, 'rule'), h('th', null, 'description'), h('th', null, 'status'), h('th', null, 'hits'),
            h('th', null, ''))));
        const body = h('tbody');
        for (const r of p.rules || []) {
          body.appendChild(h('tr', {
            class: r.neverMatched ? 'never-matched' : null, 'data-policy': p.name, 'data-rule': r.index,
            'data-never-matched': r.neverMatched === null || r.neverMatched === undefined ? 'n/a' : String(r.neverMatched),
          },
          h('td', { class: 'num' }, String(r.index)),
          h('td', null, r.description || ''),
          h('td', null, h('span', { class: 'badge' }, r.status || '')),
          // hits is null where the rule cannot decide (audit, dry-run): not counted, so never "never matched".
          h('td', { class: 'num', title: r.hits === null ? 'not counted for this status' : null },
            r.hits === null || r.hits === undefined ? '—' : String(r.hits)),
          h('td', null, r.neverMatched ? h('span', { class: 'badge never' }, 'never matched') : null)));
        }
        table.appendChild(body);
        box.appendChild(h('div', { class: 'policy', 'data-policy': p.name },
          h('h3', null, p.name || '', h('span', { class: 'badge ' + String(p.action || '').toLowerCase() }, p.action || ''),
            h('span', { class: 'badge' }, p.enforcement || '')),
          table));
      }
      list.appendChild(box);
    }
  }

  // ---- Integrity ----------------------------------------------------------------------------------------------

  async function loadIntegrity() {
    const data = await api('/api/integrity');
    const body = $('integrity-body');
    clear(body);
    const sidecars = data.sidecars || [];
    show($('integrity-empty'), sidecars.length === 0);
    let pending = false;
    for (const c of sidecars) {
      pending = pending || !!c.pending;
      const state = ['whole', 'broken', 'unverified'].includes(c.state) ? c.state : 'unverified';
      // The server verifies in the background: a sidecar not checked yet is pending, with no result.
      const stateText = c.pending && !c.checkedAt ? 'verifying…' : c.state + (c.pending ? ' (re-checking)' : '');
      const br = c.break ? c.break.kind + ' at seq ' + c.break.seq + (c.break.detail ? ': ' + c.break.detail : '') : '—';
      body.appendChild(h('tr', { 'data-sidecar': c.sidecar, 'data-state': c.state, 'data-pending': String(!!c.pending) },
        h('td', { class: 'id' }, c.sidecar),
        h('td', null, h('span', { class: 'badge ' + state }, stateText)),
        h('td', null, br),
        h('td', { class: 'num' }, String(c.entries)),
        h('td', { class: 'num' }, String(c.records)),
        h('td', { class: 'time' }, fmtTime(c.lastEntry)),
        h('td', { class: 'time' }, fmtTime(c.lastCheckpoint)),
        h('td', { class: 'time' }, fmtTime(c.checkedAt))));
    }
    // Ask again while a verification is queued or running, as long as the view is shown (bounded: 30 times).
    if (integrityTimer) clearTimeout(integrityTimer);
    integrityTimer = null;
    if (pending && integrityPolls < 30) {
      integrityPolls++;
      integrityTimer = setTimeout(() => {
        if (currentView === 'integrity' && document.visibilityState === 'visible') refresh('integrity');
      }, LIVE_INTERVAL_MS);
    } else if (!pending) {
      integrityPolls = 0;
    }
  }

  let integrityTimer = null;
  let integrityPolls = 0;

  // ---- Wiring -------------------------------------------------------------------------------------------------

  for (const v of VIEWS) $('tab-' + v).addEventListener('click', () => showView(v));
  window.addEventListener('hashchange', () => showView(location.hash.slice(1)));
  $('token-form').addEventListener('submit', tokenEntered);

  $('graph-window').addEventListener('change', () => refresh('graph'));
  $('graph-refresh').addEventListener('click', () => refresh('graph'));
  $('edge-close').addEventListener('click', closeEdge);
  $('edge-open-flows').addEventListener('click', openEdgeInFlows);

  $('flows-filters').addEventListener('submit', applyFilters);
  $('flows-reset').addEventListener('click', resetFilters);
  $('flows-next').addEventListener('click', nextPage);
  $('flows-prev').addEventListener('click', previousPage);
  $('flows-export-csv').addEventListener('click', () => exportFlows('csv'));
  $('flows-export-json').addEventListener('click', () => exportFlows('json'));
  $('flows-live').addEventListener('click', toggleLive);
  $('flows-pause').addEventListener('click', togglePause);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && flows.live && !flows.paused) {
      if (flows.timer) clearTimeout(flows.timer);
      poll(flows.generation);
    }
  });

  $('policies-window').addEventListener('change', () => refresh('policies'));
  $('policies-refresh').addEventListener('click', () => refresh('policies'));
  $('integrity-refresh').addEventListener('click', () => {
    integrityPolls = 0;
    refresh('integrity');
  });

  showView(location.hash.slice(1));
})();
