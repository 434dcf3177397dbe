// The quote builder: an account, lines of SKU and quantity, priced by PriceQuote with every step
// of each line's price explained, which rule decided and why, and the rules not applied counted
// by reason (every one of them on request: the FULL view); saved as a quote (CreateQuote) with its
// full explanation frozen.
import { h, replace } from '../lib/dom.js';
import { formatMoney, t, tEnum } from '../lib/i18n.js';
import { clearErrors, formBanner, showErrors } from '../lib/forms.js';
import { accounts, pricing } from '../lib/resources.js';
import { empty, table } from './common.js';
import { literal } from '../lib/logic.js';

export function renderQuotes(main) {
  const preset = new URLSearchParams(location.search).get('account') ?? '';
  const result = h('div', { id: 'quote-result', 'aria-live': 'polite' });
  const lines = h('tbody', {});
  const accountSelect = h('select', { id: 'quote-account', dataset: { field: 'account' }, 'aria-describedby': 'quote-account-error', required: true }, h('option', { value: preset }, preset || t('quotes.findFirst')));
  const fullView = h('input', { id: 'quote-full', type: 'checkbox' });
  const priceListSelect = h('select', { id: 'quote-price-list', dataset: { field: 'price_list' }, 'aria-describedby': 'quote-price-list-error' }, h('option', { value: '' }, t('quotes.termsList')));

  const finder = h('input', { id: 'account-search', type: 'search', 'aria-describedby': 'account-search-hint' });
  const find = async () => {
    try {
      const q = finder.value.trim();
      const data = await accounts.list({ page_size: 20, filter: q ? literal(q) : '' });
      replace(accountSelect, (data.accounts ?? []).map((a) => h('option', { value: a.name }, a.displayName)));
      if (!(data.accounts ?? []).length) replace(accountSelect, h('option', { value: '' }, t('quotes.noAccount')));
    } catch (err) {
      showErrors(form, err);
    }
  };

  let counter = 0;
  function addLine(sku = '', quantity = '1') {
    const i = counter++;
    const row = h(
      'tr',
      { class: 'line' },
      h('td', {}, h('label', { class: 'visually-hidden', for: `sku-${i}` }, t('quotes.sku')), h('input', { id: `sku-${i}`, class: 'sku', value: sku, 'aria-describedby': `sku-${i}-error` }), h('p', { class: 'field-error', id: `sku-${i}-error` })),
      h('td', {}, h('label', { class: 'visually-hidden', for: `qty-${i}` }, t('quotes.quantity')), h('input', { id: `qty-${i}`, class: 'qty', type: 'number', min: 1, step: 1, value: quantity, 'aria-describedby': `qty-${i}-error` }), h('p', { class: 'field-error', id: `qty-${i}-error` })),
      h('td', {}, h('button', { type: 'button', 'aria-label': t('quotes.removeLine'), onclick: () => { row.remove(); renumber(); } }, '×')),
    );
    lines.append(row);
    renumber();
    row.querySelector('.sku').focus();
  }
  // data-field follows the API's paths, `lines[2].sku`, so its messages land on the right input.
  function renumber() {
    [...lines.querySelectorAll('tr.line')].forEach((row, index) => {
      row.querySelector('.sku').dataset.field = `lines[${index}].sku`;
      row.querySelector('.qty').dataset.field = `lines[${index}].quantity`;
    });
  }
  function readLines() {
    return [...lines.querySelectorAll('tr.line')].map((row) => ({ sku: row.querySelector('.sku').value.trim(), quantity: row.querySelector('.qty').value.trim() || '0' }));
  }

  const form = h(
    'form',
    { class: 'card', novalidate: true, onsubmit: (e) => { e.preventDefault(); price(); } },
    formBanner(),
    h(
      'div',
      { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'account-search' }, t('quotes.findAccount')), h('p', { class: 'hint', id: 'account-search-hint' }, t('quotes.findHint')), h('div', { class: 'inline' }, finder, h('button', { type: 'button', id: 'find-account', onclick: find }, t('quotes.find')))),
      h('div', { class: 'field' }, h('label', { for: 'quote-account' }, t('quotes.account'), h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), accountSelect, h('p', { class: 'field-error', id: 'quote-account-error' })),
      h('div', { class: 'field' }, h('label', { for: 'quote-price-list' }, t('quotes.priceList')), priceListSelect, h('p', { class: 'field-error', id: 'quote-price-list-error' })),
      h('div', { class: 'field' }, h('label', { for: 'quote-full' }, fullView, ' ', t('quotes.fullView'))),
    ),
    h('table', { class: 'data lines' }, h('caption', {}, t('quotes.lines')), h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('quotes.sku')), h('th', { scope: 'col' }, t('quotes.quantity')), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('common.actions'))))), lines),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', onclick: () => addLine() }, t('quotes.addLine')),
      h('button', { type: 'submit', class: 'primary', id: 'price-quote' }, t('quotes.price')),
      h('button', { type: 'button', id: 'save-quote', onclick: save }, t('quotes.save')),
    ),
  );

  function request() {
    return {
      account: accountSelect.value,
      lines: readLines(),
      priceList: priceListSelect.value || undefined,
      view: fullView.checked ? 'PRICING_VIEW_FULL' : undefined,
    };
  }

  async function price() {
    clearErrors(form);
    try {
      drawPricing(await pricing.price(request()));
    } catch (err) {
      replace(result);
      showErrors(form, err);
    }
  }

  async function save() {
    clearErrors(form);
    const r = request();
    const expire = new Date(Date.now() + 30 * 86400000);
    try {
      const quote = await pricing.createQuote(
        { account: r.account, expireDate: { year: expire.getUTCFullYear(), month: expire.getUTCMonth() + 1, day: expire.getUTCDate() } },
        r.lines,
      );
      drawPricing(quote.pricing, quote);
    } catch (err) {
      showErrors(form, err);
    }
  }

  function drawPricing(p, quote) {
    const rows = (p.lines ?? []).flatMap((line) => {
      const id = `explain-${line.index ?? 0}`;
      const stepList = line.explanation ?? [];
      // One item per rule not applied in the FULL view; else one per reason, with its count.
      const eachRule = stepList.some((s) => s.kind === 'PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED');
      const groups = eachRule ? [] : line.rulesNotApplied ?? [];
      const toggle = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', 'aria-controls': id }, t('quotes.explain'));
      const steps = h(
        'tr',
        { id, hidden: true, class: 'explanation' },
        h(
          'td',
          { colspan: 6 },
          h(
            'ol',
            { class: 'steps', 'aria-label': t('quotes.explanationOf', { sku: line.sku }) },
            stepList.map((s) =>
              h(
                'li',
                { class: s.kind === 'PRICING_STEP_KIND_DISCOUNT_NOT_APPLIED' ? 'not-applied' : null },
                h('strong', {}, tEnum(s.kind, 'PRICING_STEP_KIND_')),
                ': ',
                s.description ?? '',
                s.unitPrice ? ` → ${formatMoney(s.unitPrice)}` : '',
                s.source ? h('span', { class: 'muted' }, ` (${s.source})`) : null,
              ),
            ),
            line.decision ? h('li', { class: 'decision' }, h('strong', {}, t('quotes.decision')), ': ', line.decision) : null,
            groups.map((g) => h('li', { class: 'not-applied group' }, h('strong', {}, t('quotes.notApplied')), ': ', g.description ?? '')),
          ),
        ),
      );
      toggle.addEventListener('click', () => {
        const open = toggle.getAttribute('aria-expanded') === 'true';
        toggle.setAttribute('aria-expanded', String(!open));
        steps.hidden = open;
      });
      return [
        h(
          'tr',
          { class: 'priced' },
          h('td', {}, line.sku, h('br'), h('span', { class: 'muted' }, line.productName ?? '')),
          h('td', { class: 'num' }, line.quantity),
          h('td', { class: 'num' }, formatMoney(line.listUnitPrice)),
          h('td', { class: 'num' }, formatMoney(line.unitPrice)),
          h('td', { class: 'num' }, formatMoney(line.lineTotal)),
          h('td', {}, toggle),
        ),
        steps,
      ];
    });
    replace(
      result,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'pricing-title' },
        h('h2', { id: 'pricing-title', tabindex: '-1' }, quote ? t('quotes.saved', { name: quote.name }) : t('quotes.pricing')),
        p.tradingTerms ? h('p', {}, t('quotes.terms'), ' ', p.tradingTerms) : h('p', {}, t('quotes.listOnly'), ' ', p.priceList ?? ''),
        rows.length
          ? table([t('quotes.sku'), t('quotes.quantity'), t('quotes.listPrice'), t('quotes.netPrice'), t('quotes.lineTotal'), t('quotes.explanation')], rows)
          : empty(),
        h('p', { class: 'total' }, t('quotes.total'), ' ', h('strong', { id: 'quote-total' }, formatMoney(p.total))),
        p.minimumOrderValue && !p.minimumOrderMet ? h('p', { class: 'notice warning' }, t('quotes.belowMinimum', { min: formatMoney(p.minimumOrderValue) })) : null,
        p.paymentNetDays ? h('p', {}, t('quotes.paymentDays', { n: p.paymentNetDays })) : null,
      ),
    );
    result.querySelector('#pricing-title').focus();
  }

  pricing
    .priceLists()
    .then((data) => {
      for (const list of data.priceLists ?? []) priceListSelect.append(h('option', { value: list.name }, `${list.displayName ?? list.name} (${list.currencyCode ?? ''})`));
    })
    .catch((err) => console.warn(err));

  main.append(h('h1', {}, t('quotes.title')), form, result);
  addLine();
  finder.focus();
}

