export { type DescribeEventStoreOptions, describeEventStore } from './describe-event-store.js';
