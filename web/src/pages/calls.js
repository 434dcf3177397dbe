// The sales assistant's call screen: NextCall hands out a contact under a lease; its phones are
// shown only while the lease runs; the call guide beside it; an outcome button logs the call
// (RecordCallOutcome) and, when asked, sets a follow-up.
import { h, replace } from '../lib/dom.js';
import { Code } from '../lib/api.js';
import { formatDateTime, t, tEnum } from '../lib/i18n.js';
import { clearErrors, errorText, field, formBanner, formValues, showErrors } from '../lib/forms.js';
import { campaigns, contacts } from '../lib/resources.js';

const OUTCOMES = [
  'INTERACTION_OUTCOME_NO_ANSWER',
  'INTERACTION_OUTCOME_CALL_BACK',
  'INTERACTION_OUTCOME_INTERESTED',
  'INTERACTION_OUTCOME_NOT_INTERESTED',
  'INTERACTION_OUTCOME_SALE',
  'INTERACTION_OUTCOME_COMPLAINT',
  'INTERACTION_OUTCOME_DO_NOT_CALL_REQUESTED',
  'INTERACTION_OUTCOME_WRONG_NUMBER',
];
const KEY = 'accord.campaign';

export function renderCalls(main) {
  const initial = new URLSearchParams(location.search).get('campaign') ?? localStorage.getItem(KEY) ?? '';
  const status = h('div', { id: 'call-status', role: 'status', 'aria-live': 'polite' });
  const workspace = h('div', { id: 'call-workspace' });
  let timer = null;
  let assignment = null;

  const pick = h(
    'form',
    { class: 'filters', novalidate: true, onsubmit: (e) => { e.preventDefault(); next(); } },
    formBanner(),
    field({ label: t('calls.campaign'), name: 'campaign', value: initial, required: true, hint: t('calls.campaignHint') }),
    h('button', { type: 'submit', class: 'primary', id: 'next-call' }, t('calls.next')),
  );

  function campaignName() {
    const raw = formValues(pick).campaign;
    return raw.startsWith('campaigns/') ? raw : `campaigns/${raw}`;
  }

  async function next() {
    clearErrors(pick);
    stopTimer();
    replace(status);
    const campaign = campaignName();
    if (campaign === 'campaigns/') {
      showErrors(pick, { fieldViolations: [{ field: 'campaign', description: t('calls.campaignRequired') }] });
      return;
    }
    localStorage.setItem(KEY, campaign);
    try {
      assignment = await campaigns.nextCall(campaign);
    } catch (err) {
      if (err.code === Code.NOT_FOUND && err.reason === 'CALL_LIST_EMPTY') {
        replace(workspace);
        replace(status, h('p', { class: 'notice' }, t('calls.empty')));
      } else if (err.fieldViolations?.length) {
        showErrors(pick, { ...err, fieldViolations: err.fieldViolations.map((v) => ({ ...v, field: 'campaign' })) });
      } else {
        showErrors(pick, err);
      }
      return;
    }
    let contact = null;
    try {
      contact = await contacts.get(assignment.contact);
    } catch (err) {
      console.warn(err);
    }
    drawCall(assignment, contact);
  }

  function stopTimer() {
    if (timer) clearInterval(timer);
    timer = null;
  }

  function drawCall(a, contact) {
    const expires = a.leaseExpireTime ? new Date(a.leaseExpireTime) : null;
    const phones = h(
      'ul',
      { class: 'phones', id: 'phones' },
      (a.phones ?? []).map((p) => h('li', {}, h('a', { href: `tel:${p}` }, p))),
    );
    const lease = h('p', { id: 'lease', class: 'muted' });
    const tick = () => {
      if (!expires) return;
      const left = Math.max(0, Math.round((expires - Date.now()) / 1000));
      replace(lease, t('calls.leaseLeft', { m: Math.floor(left / 60), s: String(left % 60).padStart(2, '0') }));
      if (left === 0) {
        stopTimer();
        replace(phones, h('li', {}, t('calls.leaseExpired')));
      }
    };
    tick();
    timer = setInterval(tick, 1000);

    const outcomeForm = h(
      'form',
      { novalidate: true, 'aria-labelledby': 'outcome-title', onsubmit: (e) => e.preventDefault() },
      h('h2', { id: 'outcome-title' }, t('calls.outcome')),
      formBanner(),
      field({ label: t('calls.summary'), name: 'summary', type: 'textarea', rows: 3 }),
      field({ label: t('calls.duration'), name: 'duration_seconds', type: 'number', attrs: { min: 0, step: 1, inputmode: 'numeric' } }),
      h(
        'fieldset',
        {},
        h('legend', {}, t('calls.followUp')),
        field({ label: t('followUp.due'), name: 'follow_up_due', type: 'datetime-local' }),
        field({ label: t('followUp.subject'), name: 'follow_up_subject' }),
      ),
      h(
        'div',
        { class: 'outcomes', role: 'group', 'aria-label': t('calls.outcome') },
        OUTCOMES.map((o) => h('button', { type: 'button', dataset: { outcome: o }, onclick: () => record(o, outcomeForm) }, tEnum(o, 'INTERACTION_OUTCOME_'))),
      ),
    );

    replace(
      workspace,
      h(
        'div',
        { class: 'grid two' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'callee-title' },
          h('h2', { id: 'callee-title' }, contact ? [contact.givenName, contact.familyName].filter(Boolean).join(' ') || t('calls.contact') : t('calls.contact')),
          contact?.personalDataMasked ? h('p', { class: 'muted' }, t('calls.nameWithheld')) : null,
          contact?.jobTitle ? h('p', {}, contact.jobTitle, contact.department ? ` · ${contact.department}` : '') : null,
          h('h3', {}, t('calls.phones')),
          phones,
          lease,
        ),
        h('section', { class: 'card', 'aria-labelledby': 'guide-title' }, h('h2', { id: 'guide-title' }, t('calls.guide')), h('div', { class: 'guide' }, a.callGuide || t('calls.noGuide'))),
        h('section', { class: 'card span2' }, outcomeForm),
      ),
    );
    workspace.querySelector('#callee-title').setAttribute('tabindex', '-1');
    workspace.querySelector('#callee-title').focus();
  }

  async function record(outcome, form) {
    clearErrors(form);
    const v = formValues(form);
    const campaign = assignment.campaign || campaignName();
    try {
      // The call first: it closes the lease. A follow-up that then fails is reported beside it.
      const interaction = await campaigns.recordOutcome(campaign, {
        contact: assignment.contact,
        outcome,
        durationSeconds: v.duration_seconds ? Number(v.duration_seconds) : 0,
        summary: v.summary,
      });
      let followUpError = null;
      if (v.follow_up_due) {
        try {
          await contacts.createFollowUp(assignment.contact, { dueTime: new Date(v.follow_up_due).toISOString(), subject: v.follow_up_subject });
        } catch (err) {
          followUpError = err;
        }
      }
      stopTimer();
      assignment = null;
      replace(workspace);
      replace(
        status,
        h('p', { class: 'notice ok' }, t('calls.logged', { outcome: tEnum(outcome, 'INTERACTION_OUTCOME_'), time: formatDateTime(interaction.interactionTime ?? interaction.createTime) })),
        followUpError ? h('p', { class: 'notice error' }, t('calls.followUpFailed', { message: errorText(followUpError) })) : null,
      );
      pick.querySelector('#next-call').focus();
    } catch (err) {
      if (err.fieldViolations?.length) showErrors(form, err);
      else {
        const banner = form.querySelector('.form-error');
        replace(banner, errorText(err));
        banner.hidden = false;
        banner.focus();
      }
    }
  }

  main.append(h('h1', {}, t('calls.title')), pick, status, workspace);
  return stopTimer;
}
