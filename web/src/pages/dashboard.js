// The supervisor's service dashboard: SLA compliance over the last weeks, CSAT and NPS trend,
// cases by category against the previous period, and the report's recommendations. One
// GetServiceReport per week (they run in parallel) plus one for the whole period.
import { h, replace } from '../lib/dom.js';
import { formatPercent, t, tEnum, formatDate } from '../lib/i18n.js';
import { errorText } from '../lib/forms.js';
import { barChart, lineChart } from '../lib/charts.js';
import { cases } from '../lib/resources.js';
import { empty } from './common.js';
import { weeks } from '../lib/logic.js';

const orNull = (v) => (v === undefined || v === null || v < 0 ? null : v);

export function renderDashboard(main) {
  const countSelect = h(
    'select',
    { id: 'weeks' },
    [4, 8, 12].map((n) => h('option', { value: n, selected: n === 8 }, t('dashboard.weeks', { n }))),
  );
  const body = h('div', { id: 'dashboard', 'aria-busy': 'true', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('common.loading')));

  async function load() {
    body.setAttribute('aria-busy', 'true');
    const periods = weeks(Number(countSelect.value));
    try {
      const [overall, ...weekly] = await Promise.all([
        cases.report(periods[0].start, periods[periods.length - 1].end),
        ...periods.map((p) => cases.report(p.start, p.end)),
      ]);
      draw(periods, overall, weekly);
    } catch (err) {
      replace(body, h('p', { class: 'notice error' }, errorText(err)));
    } finally {
      body.setAttribute('aria-busy', 'false');
    }
  }

  function draw(periods, overall, weekly) {
    const labels = periods.map((p) => formatDate(p.start).replace(/,? \d{4}$|\d{4}年/, ''));
    const fig = (r, key) => orNull(Number(r.totals?.[key] ?? -1));
    const totals = overall.totals ?? {};
    const tiles = [
      ['dashboard.cases', String(totals.caseCount ?? 0)],
      ['dashboard.resolutionCompliance', formatPercent(orNull(totals.resolutionCompliance ?? -1))],
      ['dashboard.firstResponseCompliance', formatPercent(orNull(totals.firstResponseCompliance ?? -1))],
      ['dashboard.csat', formatPercent(orNull(totals.csatSatisfiedShare ?? -1))],
      ['dashboard.nps', totals.npsResponses ? String(Math.round(totals.nps ?? 0)) : '—'],
      ['dashboard.reopenRate', formatPercent(orNull(totals.reopenRate ?? -1))],
    ];
    const trends = overall.topCategories ?? [];
    const recommendations = overall.recommendations ?? [];
    replace(
      body,
      h('ul', { class: 'tiles', 'aria-label': t('dashboard.totals') }, tiles.map(([k, v]) => h('li', {}, h('span', { class: 'tile-label' }, t(k)), h('span', { class: 'tile-value' }, v)))),
      h(
        'div',
        { class: 'grid two' },
        lineChart({
          caption: t('dashboard.slaTrend'),
          description: t('dashboard.slaTrendDesc'),
          labels,
          series: [
            { name: t('dashboard.resolutionCompliance'), values: weekly.map((r) => fig(r, 'resolutionCompliance')) },
            { name: t('dashboard.firstResponseCompliance'), values: weekly.map((r) => fig(r, 'firstResponseCompliance')) },
          ],
          format: (v) => formatPercent(v),
        }),
        lineChart({
          caption: t('dashboard.csatTrend'),
          description: t('dashboard.csatTrendDesc'),
          labels,
          series: [
            { name: t('dashboard.csat'), values: weekly.map((r) => fig(r, 'csatSatisfiedShare')) },
            // NPS (-100..100) drawn on the same 0..1 scale: (nps + 100) / 200; the table shows it.
            { name: t('dashboard.npsScaled'), values: weekly.map((r) => (Number(r.totals?.npsResponses ?? 0) > 0 ? (Number(r.totals.nps) + 100) / 200 : null)) },
          ],
          format: (v) => formatPercent(v),
        }),
        trends.length
          ? barChart({
              caption: t('dashboard.categories'),
              description: t('dashboard.categoriesDesc'),
              seriesNames: [t('dashboard.thisPeriod'), t('dashboard.previousPeriod')],
              groups: trends.map((c) => ({ label: tEnum(c.category, 'CASE_CATEGORY_'), values: [Number(c.caseCount ?? 0), Number(c.previousCount ?? 0)] })),
              format: (v) => String(v),
            })
          : h('section', { class: 'card' }, h('h2', {}, t('dashboard.categories')), empty('dashboard.noCases')),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'recs-title' },
          h('h2', { id: 'recs-title' }, t('dashboard.recommendations')),
          recommendations.length
            ? h(
                'ul',
                { class: 'recs' },
                recommendations.map((r) =>
                  h(
                    'li',
                    {},
                    h('strong', {}, t(`rule.${r.rule}`) === `rule.${r.rule}` ? r.rule : t(`rule.${r.rule}`)),
                    ' — ',
                    r.text,
                    Object.keys(r.figures ?? {}).length ? h('span', { class: 'muted' }, ` (${Object.entries(r.figures).map(([k, v]) => `${k} ${v}`).join(', ')})`) : null,
                  ),
                ),
              )
            : empty('dashboard.noRecommendations'),
        ),
      ),
    );
  }

  countSelect.addEventListener('change', load);
  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, t('dashboard.title')), h('div', { class: 'field inline' }, h('label', { for: 'weeks' }, t('dashboard.period')), countSelect)),
    body,
  );
  load();
}
