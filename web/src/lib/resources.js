// The calls the console makes, one line each, by the routes of the protos' google.api.http
// annotations (AIP-127). Names are full resource names ("accounts/0190..."), as the API gives.
import { del, get, patch, post, requestId } from './api.js';

const mask = (fields) => fields.join(',');

export const accounts = {
  list: (params) => get('accounts', params),
  get: (name) => get(name),
  create: (account) => post('accounts', account, { params: { request_id: requestId() } }),
  update: (account, fields, etag) =>
    patch(account.name, account, { params: { update_mask: mask(fields) }, etag }),
  batchGet: (names) => get('accounts:batchGet', { names }),
  tree: (name) => get(`${name}:tree`, { max_depth: 4 }),
  keyContacts: (name) => get(`${name}/keyContacts`),
  // Team members and needs: `collection` is "teamMembers" or "needs".
  children: (name, collection) => get(`${name}/${collection}`, { page_size: 100 }),
  createChild: (name, collection, body) =>
    post(`${name}/${collection}`, body, { params: { request_id: requestId() } }),
  updateChild: (body, fields, etag) =>
    patch(body.name, body, { params: { update_mask: mask(fields) }, etag }),
  deleteChild: (name, etag) => del(name, { etag }),
  tradingTerms: (name) => get(`${name}/tradingTerms`, { page_size: 50 }),
};

export const contacts = {
  create: (contact) => post('contacts', contact, { params: { request_id: requestId() } }),
  get: (name) => get(name),
  relate: (contactName, relation) =>
    post(`${contactName}/accountRelations`, relation, { params: { request_id: requestId() } }),
  interactions: (filter) => get('contacts/-/interactions', { page_size: 20, filter, order_by: 'interaction_time desc' }),
  dueFollowUps: () => get('followUps:listDue', { page_size: 50 }),
  createFollowUp: (contactName, followUp) =>
    post(`${contactName}/followUps`, followUp, { params: { request_id: requestId() } }),
};

export const campaigns = {
  get: (name) => get(name),
  nextCall: (name) => post(`${name}:nextCall`, {}),
  recordOutcome: (name, body) => post(`${name}:recordCallOutcome`, { ...body, requestId: requestId() }),
};

export const pricing = {
  priceLists: () => get('priceLists', { page_size: 100 }),
  items: (priceList) => get(`${priceList}/items`, { page_size: 200 }),
  price: (body) => post('quotes:price', body),
  createQuote: (quote, lines) => post('quotes', { quote, lines, requestId: requestId() }),
  // Newest first is sorted here: ListSales refuses `create_time desc` although it documents it.
  sales: (filter) => get('sales', { page_size: 100, filter }),
};

export const cases = {
  list: (params) => get('cases', params),
  get: (name) => get(name),
  timeline: (name) => get(`${name}/timelineEntries`, { page_size: 50, order_by: 'create_time desc' }),
  report: (start, end, groupBy = 'REPORT_GROUP_BY_CATEGORY') =>
    get('serviceReport', { start_time: start.toISOString(), end_time: end.toISOString(), group_by: groupBy }),
};
