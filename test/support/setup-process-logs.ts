import { printProcessLogsOnFailure } from './process-logs.js';

printProcessLogsOnFailure();
