import { memoryStore } from '@actorfold/core';
import { describeEventStore } from '../src/index.js';

describeEventStore('memoryStore', () => memoryStore());
