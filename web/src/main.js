// The crmkit dashboard: every number comes from the server's /v1 API; the page keeps only
// the state of what the user is looking at (segment, filters, sort, page).
import * as echarts from 'echarts/core';
import { PieChart, BarChart, SankeyChart, TreeChart } from 'echarts/charts';
import { TooltipComponent, GridComponent, AriaComponent, LegendComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([PieChart, BarChart, SankeyChart, TreeChart, TooltipComponent, GridComponent,
             AriaComponent, LegendComponent, SVGRenderer]);

// Okabe-Ito: distinguishable by readers with any common colour-vision deficiency.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442',
                 '#000000', '#999999'];
const PAGE = 50;

const state = { overview: null, segment: null, filters: [], sort: null, desc: false, offset: 0,
                total: 0, columns: [] };
const charts = {};
window.crmkitCharts = charts; // for the end-to-end test's real clicks on chart elements
const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const pct = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

function status(text) { $('status').textContent = text || ''; }

async function api(path) {
  const early = window.crmkitEarly && window.crmkitEarly[path];
  if (early) delete window.crmkitEarly[path]; // a request started by index.html, used once
  const res = await (early || fetch(path, { headers: { Accept: 'application/json' } }));
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `${path}: HTTP ${res.status}`);
  return body;
}

// Charts appear at once: the entry animations redrew every chart's SVG for a second after
// the first paint, and the page answered clicks only after them.
function chart(id) {
  if (!charts[id]) {
    const c = echarts.init($(id), null, { renderer: 'svg' });
    const setOption = c.setOption.bind(c);
    c.setOption = (option, ...rest) => setOption({ animation: false, ...option }, ...rest);
    charts[id] = c;
  }
  return charts[id];
}

function segName(id) {
  const s = state.overview.segmentation.segments.find((x) => x.id === id);
  return s ? s.name : String(id);
}

// ---- overview ----

function drawSizes() {
  const segs = state.overview.segmentation.segments;
  chart('chart-sizes').setOption({
    color: PALETTE,
    aria: { enabled: true, decal: { show: true } },
    tooltip: { trigger: 'item', formatter: (p) => `${p.name}: ${fmt.format(p.value)} customers (${p.percent}%)` },
    series: [{
      type: 'pie', radius: ['35%', '70%'], selectedMode: 'single',
      label: { formatter: (p) => `${p.name}\n${pct.format(p.percent / 100)}` },
      data: segs.map((s) => ({ name: s.name, value: s.size, id: s.id, selected: s.id === state.segment })),
    }],
  }, true);
}

function drawProfile() {
  const seg = state.overview.segmentation;
  const shown = state.segment === null ? seg.segments : seg.segments.filter((s) => s.id === state.segment);
  $('cap-profile').textContent = state.segment === null
    ? 'Profiles against the population (standard deviations)'
    : `${segName(state.segment)} against the population (standard deviations)`;
  chart('chart-profile').setOption({
    color: PALETTE,
    aria: { enabled: true },
    tooltip: { trigger: 'axis', valueFormatter: (v) => fmt.format(v) },
    legend: { type: 'scroll', bottom: 0 },
    grid: { left: 140, right: 20, top: 10, bottom: 40 },
    xAxis: { type: 'value', name: 'z' },
    yAxis: { type: 'category', data: seg.features, inverse: true },
    series: shown.map((s) => ({
      type: 'bar', name: s.name, id: `seg-${s.id}`, data: s.profile,
      itemStyle: { color: PALETTE[seg.segments.indexOf(s) % PALETTE.length] },
    })),
  }, true);
}

function drawRisk() {
  const segs = state.overview.segmentation.segments;
  if (!segs.some((s) => s.mean_risk !== null && s.mean_risk !== undefined)) {
    $('fig-risk').hidden = true;
    return;
  }
  chart('chart-risk').setOption({
    aria: { enabled: true },
    tooltip: { trigger: 'item', formatter: (p) => `${p.name}: ${pct.format(p.value)}` },
    grid: { left: 60, right: 20, top: 10, bottom: 50 },
    xAxis: { type: 'category', data: segs.map((s) => s.name), axisLabel: { interval: 0, rotate: 20 } },
    yAxis: { type: 'value', axisLabel: { formatter: (v) => pct.format(v) } },
    series: [{
      type: 'bar', name: 'mean churn risk',
      data: segs.map((s, i) => ({
        value: s.mean_risk, id: s.id,
        itemStyle: { color: state.segment === null || state.segment === s.id ? PALETTE[i % PALETTE.length] : '#cccccc' },
      })),
    }],
  }, true);
}

function drawTree() {
  const tree = state.overview.segmentation.tree;
  if (!tree) return;
  $('fig-tree').hidden = false;
  const segs = state.overview.segmentation.segments;
  chart('chart-tree').setOption({
    aria: { enabled: true },
    tooltip: { trigger: 'item' },
    series: [{
      type: 'tree', orient: 'LR', top: 10, bottom: 10, left: 80, right: 160, expandAndCollapse: false,
      label: { position: 'left' }, leaves: { label: { position: 'right' } },
      data: [{
        name: 'all customers',
        children: tree.map((g) => ({
          name: g.name,
          children: g.segments.map((id) => ({ name: segName(id), id,
            itemStyle: { color: id === state.segment ? '#D55E00' : '#0072B2' },
            value: (segs.find((s) => s.id === id) || {}).size })),
        })),
      }],
    }],
  }, true);
}

function drawChips() {
  const box = $('segment-chips');
  box.replaceChildren();
  const all = document.createElement('button');
  all.textContent = 'All customers';
  all.setAttribute('aria-pressed', String(state.segment === null));
  all.onclick = () => selectSegment(null);
  box.append(all);
  for (const s of state.overview.segmentation.segments) {
    const b = document.createElement('button');
    b.textContent = `${s.name} (${fmt.format(s.size)})`;
    b.dataset.segment = s.id;
    b.setAttribute('aria-pressed', String(state.segment === s.id));
    b.onclick = () => selectSegment(s.id);
    box.append(b);
  }
}

function drawOverview() {
  drawChips();
  drawSizes();
  drawProfile();
  drawRisk();
  drawTree();
}

function selectSegment(id) {
  state.segment = id;
  state.offset = 0;
  drawOverview();
  loadCustomers();
  drawBaskets();
}

// ---- drill-down ----

function query(withPage) {
  const q = new URLSearchParams();
  q.set('segment', state.segment === null ? 'all' : state.segment);
  if (withPage) {
    q.set('offset', state.offset);
    q.set('limit', PAGE);
  }
  if (state.sort) q.set('sort', state.desc ? `-${state.sort}` : state.sort);
  for (const f of state.filters) q.append('filter', f.text);
  return q.toString();
}


async function loadCustomers() {
  $('drill-segment').textContent = state.segment === null ? '(all)' : `in ${segName(state.segment)}`;
  $('export').href = `/v1/dashboard/customers.csv?${query(false)}`;
  try {
    const page = await api(`/v1/dashboard/customers?${query(true)}`);
    state.total = page.total;
    state.columns = page.columns;
    drawTable(page);
    status('');
  } catch (e) {
    status(e.message);
  }
}

function drawTable(page) {
  const head = document.createElement('tr');
  page.columns.forEach((c) => {
    const th = document.createElement('th');
    th.scope = 'col';
    if (state.sort === c) th.setAttribute('aria-sort', state.desc ? 'descending' : 'ascending');
    const b = document.createElement('button');
    b.textContent = c + (state.sort === c ? (state.desc ? ' ▼' : ' ▲') : '');
    b.onclick = () => {
      state.desc = state.sort === c ? !state.desc : false;
      state.sort = c;
      state.offset = 0;
      loadCustomers();
    };
    th.append(b);
    head.append(th);
  });
  $('customers').tHead.replaceChildren(head);
  const body = $('customers').tBodies[0];
  body.replaceChildren();
  for (const row of page.rows) {
    const tr = document.createElement('tr');
    row.forEach((v, i) => {
      const td = document.createElement('td');
      if (i === 0) {
        const a = document.createElement('a');
        a.href = `#customer=${encodeURIComponent(v)}`;
        a.textContent = v;
        a.onclick = (ev) => { ev.preventDefault(); openCustomer(String(v)); };
        td.append(a);
      } else if (typeof v === 'number') {
        td.className = 'num';
        td.textContent = fmt.format(v);
      } else {
        td.textContent = v === null ? '' : v;
      }
      tr.append(td);
    });
    body.append(tr);
  }
  const last = Math.min(state.offset + PAGE, state.total);
  $('page-info').textContent = state.total === 0 ? 'no customers'
    : `${fmt.format(state.offset + 1)}–${fmt.format(last)} of ${fmt.format(state.total)}`;
  $('prev').disabled = state.offset === 0;
  $('next').disabled = last >= state.total;
}

function setupFilters() {
  const sel = $('filter-col');
  for (const c of state.overview.store.columns) {
    const o = document.createElement('option');
    o.value = c.name;
    o.textContent = c.name;
    o.dataset.type = c.type;
    sel.append(o);
  }
  const sync = () => {
    const cat = sel.selectedOptions[0] && sel.selectedOptions[0].dataset.type === 'cat';
    $('filter-num').hidden = cat;
    $('filter-cat').hidden = !cat;
  };
  sel.onchange = sync;
  sync();
  $('filters').onsubmit = (ev) => {
    ev.preventDefault();
    const col = sel.value;
    const cat = sel.selectedOptions[0].dataset.type === 'cat';
    let text;
    if (cat) {
      const v = $('filter-values').value.trim();
      if (!v) return;
      text = `${col}:=${v}`;
    } else {
      const lo = $('filter-min').value.trim();
      const hi = $('filter-max').value.trim();
      if (!lo && !hi) return;
      text = `${col}:${lo}..${hi}`;
    }
    state.filters = state.filters.filter((f) => f.col !== col).concat([{ col, text }]);
    state.offset = 0;
    drawFilterList();
    loadCustomers();
  };
  $('filter-clear').onclick = () => {
    state.filters = [];
    state.offset = 0;
    drawFilterList();
    loadCustomers();
  };
  $('prev').onclick = () => { state.offset = Math.max(0, state.offset - PAGE); loadCustomers(); };
  $('next').onclick = () => { state.offset += PAGE; loadCustomers(); };
}

function drawFilterList() {
  const ul = $('filter-list');
  ul.replaceChildren();
  for (const f of state.filters) {
    const li = document.createElement('li');
    li.textContent = `${f.text} ✕`;
    li.tabIndex = 0;
    li.setAttribute('role', 'button');
    li.setAttribute('aria-label', `remove filter ${f.text}`);
    const drop = () => {
      state.filters = state.filters.filter((x) => x !== f);
      state.offset = 0;
      drawFilterList();
      loadCustomers();
    };
    li.onclick = drop;
    li.onkeydown = (ev) => { if (ev.key === 'Enter' || ev.key === ' ') drop(); };
    ul.append(li);
  }
}

// ---- customer view ----

// Where the risk stands among all customers, from the store's percentiles.
function riskText(p) {
  if (p === null || p === undefined) return 'not scored';
  const q = state.overview.store && state.overview.store.risk_quantiles;
  let text = pct.format(p);
  if (q) {
    let below = 0;
    while (below < 100 && q[below + 1] <= p) below++;
    text += `, riskier than about ${below}% of customers`;
  }
  return text;
}

// The customer's risk decile and what that decile's customers did (the gains table).
function gainsText(p) {
  const g = state.overview.gains;
  if (p === null || p === undefined || !g) return '';
  const d = g.deciles.find((x) => p >= x.min_risk) || g.deciles[g.deciles.length - 1];
  let text = `Risk decile ${d.decile} of 10 (1 = riskiest tenth of customers).`;
  if (g.target && d.rate !== null) {
    text += ` In this decile ${pct.format(d.rate)} have ${g.target} = 1, against ${pct.format(g.overall_rate)} of all customers.`;
  }
  return text;
}

// The model features where this customer stands furthest from the average (|z| largest).
function why(record) {
  const seg = state.overview.segmentation;
  if (!seg) return [];
  return seg.features.map((f, i) => {
    const v = Number(record[f]);
    const sd = seg.population.sd[i];
    return { feature: f, value: v, z: sd > 0 ? (v - seg.population.mean[i]) / sd : 0 };
  }).filter((w) => Number.isFinite(w.z) && record[w.feature] !== null && record[w.feature] !== undefined)
    .sort((a, b) => Math.abs(b.z) - Math.abs(a.z)).slice(0, 4);
}

async function openCustomer(id) {
  try {
    const [c, extra] = await Promise.all([api(`/v1/customers/${encodeURIComponent(id)}`),
      api(`/v1/dashboard/customer/${encodeURIComponent(id)}`)]);
    $('customer').hidden = false;
    $('cust-id').textContent = c.id;
    $('cust-segment').textContent = c.segment ? `${c.segment.name || c.segment.id} (segment ${c.segment.id})` : 'not segmented';
    $('cust-risk').textContent = riskText(c.churn_risk);
    $('cust-gains').textContent = gainsText(c.churn_risk);
    const list = (ulId, items, text) => {
      const ul = $(ulId);
      ul.replaceChildren();
      for (const it of items || []) {
        const li = document.createElement('li');
        li.textContent = text(it);
        ul.append(li);
      }
      if (!items || items.length === 0) {
        const li = document.createElement('li');
        li.className = 'muted';
        li.textContent = 'none';
        ul.append(li);
      }
    };
    list('cust-why', why(c.record), (w) => `${w.feature} = ${fmt.format(w.value)} (${w.z >= 0 ? '+' : ''}${fmt.format(w.z)} sd from the average customer)`);
    list('cust-services', extra.services, (s) => s);
    list('cust-offers', c.recommendations, (o) => (o.source === 'rule'
      ? `${o.item} — ${pct.format(o.confidence)} of customers with ${String(o.because).split(';').join(' + ')} have it`
      : `${o.item} — popular in this segment`));
    const tb = $('cust-record').tBodies[0];
    tb.replaceChildren();
    for (const [k, v] of Object.entries(c.record)) {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = k;
      const td = document.createElement('td');
      td.textContent = typeof v === 'number' ? fmt.format(v) : String(v);
      tr.append(th, td);
      tb.append(tr);
    }
    status('');
    $('customer').scrollIntoView({ block: 'start' });
  } catch (e) {
    status(e.message);
  }
}

// ---- baskets and transitions ----

function drawBaskets() {
  const b = state.overview.baskets;
  if (!b) return;
  $('baskets').hidden = false;
  chart('chart-items').setOption({
    aria: { enabled: true },
    tooltip: { trigger: 'axis', valueFormatter: (v) => pct.format(v) },
    grid: { left: 140, right: 20, top: 10, bottom: 30 },
    xAxis: { type: 'value', axisLabel: { formatter: (v) => pct.format(v) } },
    yAxis: { type: 'category', data: b.items.map((i) => i.item), inverse: true },
    series: [{ type: 'bar', name: 'share of customers', data: b.items.map((i) => i.support), itemStyle: { color: '#009E73' } }],
  }, true);
  const name = state.segment === null ? null : segName(state.segment);
  $('rules-segment').textContent = name ? `for ${name}` : '(all segments)';
  const rules = b.rules.filter((r) => name === null || r.segment === name || r.segment === String(state.segment)).slice(0, 15);
  const tb = $('rules').tBodies[0];
  tb.replaceChildren();
  for (const r of rules) {
    const tr = document.createElement('tr');
    for (const v of [r.antecedent.join(', '), r.consequent.join(', '), pct.format(r.confidence), fmt.format(r.lift)]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    tb.append(tr);
  }
}

function drawTransitions() {
  const t = state.overview.transitions;
  if (!t) return;
  $('transitions').hidden = false;
  $('cap-transitions').textContent = `Customers by their segment in ${t.from} (left) and now (right)`;
  const nodes = [];
  const seen = new Set();
  const add = (n) => { if (!seen.has(n)) { seen.add(n); nodes.push({ name: n }); } };
  for (const f of t.flows) {
    f.target = segName(f.target_id);
    add(`${f.source} (before)`);
    add(`${f.target} (now)`);
  }
  chart('chart-sankey').setOption({
    color: PALETTE,
    aria: { enabled: true },
    tooltip: { trigger: 'item' },
    series: [{
      type: 'sankey', data: nodes, emphasis: { focus: 'adjacency' },
      links: t.flows.map((f) => ({ source: `${f.source} (before)`, target: `${f.target} (now)`, value: f.value })),
    }],
  }, true);
}

// ---- start ----

// The store's counts and mean risk per segment replace the training sizes where it has them.
function mergeStoreSegments(o) {
  const stored = o.segmentation.store_segments;
  if (!stored) return;
  const total = stored.reduce((a, s) => a + s.size, 0);
  for (const s of o.segmentation.segments) {
    const st = stored.find((x) => x.id === s.id);
    s.size = st ? st.size : 0;
    s.share = total > 0 ? s.size / total : 0;
    s.mean_risk = st ? st.mean_risk : null;
  }
}

function wireChartClicks() {
  const bySeries = (p) => (p.data && p.data.id !== undefined ? p.data.id
    : p.seriesId && p.seriesId.startsWith('seg-') ? Number(p.seriesId.slice(4)) : undefined);
  for (const id of ['chart-sizes', 'chart-risk', 'chart-tree', 'chart-profile']) {
    chart(id).on('click', (p) => {
      const seg = bySeries(p);
      if (seg !== undefined) selectSegment(seg === state.segment ? null : seg);
    });
  }
}

async function start() {
  try {
    state.overview = await api('/v1/dashboard');
  } catch (e) {
    status(`The dashboard needs a segmentation model and a customer store: ${e.message}`);
    return;
  }
  if (!state.overview.segmentation || !state.overview.store) {
    status('The dashboard needs a segmentation model (--model) and a customer store (--store).');
    return;
  }
  mergeStoreSegments(state.overview);
  $('model-name').textContent = `model: ${state.overview.segmentation.model}`;
  setupFilters();
  drawOverview();
  wireChartClicks();
  drawBaskets();
  drawTransitions();
  $('search').onsubmit = (ev) => {
    ev.preventDefault();
    const id = $('search-id').value.trim();
    if (id) openCustomer(id);
  };
  window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));
  await loadCustomers();
  const m = /customer=([^&]+)/.exec(location.hash);
  if (m) openCustomer(decodeURIComponent(m[1]));
  document.body.dataset.ready = '1';
}

start();
