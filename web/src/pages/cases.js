// The case queue (open cases by priority, then time to breach) and one case with its SLA clock
// and timeline. SLA warnings and breaches arrive over the event stream and change the row or the
// clock in place, announced to screen readers.
import { h, replace } from '../lib/dom.js';
import { idOf } from '../lib/api.js';
import { formatDateTime, formatDuration, t, tEnum } from '../lib/i18n.js';
import { errorText } from '../lib/forms.js';
import { accounts, cases } from '../lib/resources.js';
import { subscribe } from '../lib/live.js';
import { queueOrder } from '../lib/logic.js';
import { empty, section, slaBadge, table } from './common.js';

const OPEN_FILTER = 'NOT status = RESOLVED AND NOT status = CLOSED';

// Whole events (admin, integration) carry the case: a SlaWarning / SlaBreached one {case, target,
// kind}, the others the case itself. Every other role is sent notifications (type and subject
// only) and reads the case through GetCase, which applies its access rule; null when the event
// is not about a case the caller may read.
export async function caseFromEvent(envelope) {
  const p = envelope.payload;
  if (p) return p.case ?? (p.name?.startsWith('cases/') ? p : null);
  if (!/^cases\/[^/]+$/.test(envelope.subject ?? '')) return null;
  try {
    return await cases.get(envelope.subject);
  } catch {
    return null;
  }
}

const SLA_KIND = { 'accord.quality.v1.SlaWarning': 'warning', 'accord.quality.v1.SlaBreached': 'breach' };

// The kind of an SLA event ('warning', 'breach') or null, from its type: notifications have no
// payload.
function slaKind(envelope) {
  return SLA_KIND[envelope.type] ?? null;
}

function slaText(envelope) {
  const kind = slaKind(envelope);
  if (!kind) return null;
  const target = envelope.payload?.target;
  if (!target) return t(kind === 'breach' ? 'case.breachArrivedAny' : 'case.warningArrivedAny');
  return t(kind === 'breach' ? 'case.breachArrived' : 'case.warningArrived', { target: t(`case.target.${target}`) });
}

// Account display names for the queue, fetched once per page view in one BatchGetAccounts.
async function accountNames(list, known) {
  const missing = [...new Set(list.map((c) => c.account).filter((n) => n && !known.has(n)))];
  if (missing.length === 0) return;
  try {
    const data = await accounts.batchGet(missing.slice(0, 1000));
    for (const a of data.accounts ?? []) known.set(a.name, a.displayName);
  } catch (err) {
    // A merged or deleted account fails the batch: its id is shown instead.
    console.warn(err);
  }
}

export function renderCases(main) {
  const announcer = h('p', { class: 'visually-hidden', 'aria-live': 'assertive', id: 'queue-announcer' });
  const body = h('div', { id: 'case-queue', 'aria-busy': 'true' });
  let list = [];
  const names = new Map();

  async function load() {
    try {
      const data = await cases.list({ filter: OPEN_FILTER, page_size: 200, order_by: 'priority desc' });
      list = (data.cases ?? []).sort(queueOrder);
      await accountNames(list, names);
      draw();
    } catch (err) {
      replace(body, h('p', { class: 'notice error' }, errorText(err)));
    } finally {
      body.setAttribute('aria-busy', 'false');
    }
  }

  function draw() {
    replace(
      body,
      list.length
        ? table(
            [t('case.case'), t('case.account'), t('case.priority'), t('case.status'), t('case.sla'), t('case.remaining'), t('case.assignee')],
            list.map((c) =>
              h(
                'tr',
                { dataset: { case: c.name } },
                h('td', {}, h('a', { href: `/cases/${idOf(c.name)}`, 'data-link': '' }, c.description?.slice(0, 60) || idOf(c.name))),
                h('td', {}, names.get(c.account) ?? idOf(c.account)),
                h('td', {}, tEnum(c.priority, 'PRIORITY_')),
                h('td', {}, tEnum(c.status, 'CASE_STATUS_')),
                h('td', {}, slaBadge(c.sla?.state)),
                h('td', {}, formatDuration(c.sla?.remaining)),
                h('td', {}, c.assignee || '—'),
              ),
            ),
            { caption: t('cases.title') },
          )
        : empty('cases.none'),
    );
  }

  main.append(h('h1', {}, t('cases.title')), h('p', { class: 'muted' }, t('cases.order')), announcer, body);
  load();
  // Times to breach move on, and roles without the event stream see changes this way too.
  const refresh = setInterval(load, 30000);
  const stop = subscribe('service-quality', { typePrefix: 'accord.quality.v1.' }, async (ev) => {
    const c = await caseFromEvent(ev);
    if (!c) return;
    const open = !['CASE_STATUS_RESOLVED', 'CASE_STATUS_CLOSED'].includes(c.status);
    list = list.filter((x) => x.name !== c.name);
    if (open) list.push(c);
    list.sort(queueOrder);
    draw();
    const text = slaText(ev);
    if (text) replace(announcer, `${c.description?.slice(0, 40) ?? idOf(c.name)}: ${text}`);
  });
  return () => {
    clearInterval(refresh);
    stop();
  };
}

export function renderCase(main, name) {
  const title = h('h1', {}, idOf(name));
  const alert = h('div', { id: 'sla-alert', role: 'alert' });
  const detail = section('case.details', 'case-details');
  const clock = section('case.slaClock', 'sla-clock');
  const timeline = section('case.timeline', 'timeline');

  function drawClock(c) {
    const s = c.sla ?? {};
    return h(
      'dl',
      { class: 'props' },
      h('dt', {}, t('case.sla')),
      h('dd', { id: 'sla-state' }, slaBadge(s.state)),
      h('dt', {}, t('case.remaining')),
      h('dd', {}, formatDuration(s.remaining)),
      h('dt', {}, t('case.elapsed')),
      h('dd', {}, formatDuration(s.elapsed)),
      h('dt', {}, t('case.firstResponseDue')),
      h('dd', {}, formatDateTime(s.firstResponseDue) || '—'),
      h('dt', {}, t('case.resolutionDue')),
      h('dd', {}, formatDateTime(s.resolutionDue) || '—'),
    );
  }

  function load() {
    detail.load(
      () => cases.get(name),
      (c) => {
        replace(title, c.description?.slice(0, 80) || idOf(c.name));
        replace(clock.body, drawClock(c));
        return h(
          'dl',
          { class: 'props' },
          [
            ['case.account', h('a', { href: `/accounts/${idOf(c.account)}`, 'data-link': '' }, idOf(c.account))],
            ['case.kind', tEnum(c.kind, 'CASE_KIND_')],
            ['case.category', tEnum(c.category, 'CASE_CATEGORY_')],
            ['case.priority', tEnum(c.priority, 'PRIORITY_')],
            ['case.status', tEnum(c.status, 'CASE_STATUS_')],
            ['case.escalation', tEnum(c.escalationLevel, 'ESCALATION_LEVEL_')],
            ['case.assignee', c.assignee || '—'],
            ['case.opened', formatDateTime(c.createTime)],
            ['case.description', c.description ?? ''],
          ].flatMap(([k, v]) => [h('dt', {}, t(k)), h('dd', {}, v)]),
        );
      },
    );
    timeline.load(
      () => cases.timeline(name),
      (data) => {
        const entries = data.timelineEntries ?? [];
        return entries.length
          ? h('ol', { class: 'timeline' }, entries.map((e) => h('li', {}, h('time', { datetime: e.createTime }, formatDateTime(e.createTime)), ' ', h('strong', {}, tEnum(e.kind, 'TIMELINE_ENTRY_KIND_')), ' ', e.text, h('span', { class: 'muted' }, ` — ${e.actor ?? ''}`))))
          : empty();
      },
    );
  }

  main.append(h('p', {}, h('a', { href: '/cases', 'data-link': '' }, t('case.back'))), title, alert, h('div', { class: 'grid' }, clock.el, detail.el, timeline.el));
  clock.body.setAttribute('aria-live', 'polite');
  load();
  return subscribe('service-quality', { subjectPrefix: name }, (ev) => {
    if (ev.subject !== name) return;
    const text = slaText(ev);
    if (text) replace(alert, h('p', { class: `notice ${slaKind(ev) === 'breach' ? 'error' : 'warning'}` }, text));
    const c = ev.payload?.case ?? null;
    if (c) replace(clock.body, drawClock(c));
    // load() reads the case again, which also draws the clock of a notification's case.
    load();
  });
}
