/**
 * Notification preferences for the demo feed's customers (bin/demo-feed.ts: C-1001 …), what the embedded default
 * starts with so `npm start` shows every case: most customers by SMS in Thai, some in English, some on LINE, a few
 * opted out. Deterministic.
 */
import { createHash } from 'node:crypto';
import type { NotificationPreference } from '../../avro/records.js';

export function demoPreferences(customers: number, at: Date = new Date()): NotificationPreference[] {
  const preferences: NotificationPreference[] = [];
  for (let i = 1; i <= customers; i++) {
    const english = i % 4 === 2;
    const line = i % 6 === 5;
    const optedOut = i % 15 === 7;
    if (!english && !line && !optedOut) continue; // the defaults: SMS, Thai
    const customerId = `C-${1000 + i}`;
    preferences.push({
      CustomerID: customerId,
      OptedOut: optedOut,
      Language: english ? 'en' : 'th',
      Channel: line ? 'LINE' : 'SMS',
      LineUserID: line ? `U${createHash('sha256').update(customerId).digest('hex').slice(0, 32)}` : null,
      QuietHours: null,
      UpdatedAt: at.toISOString(),
    });
  }
  return preferences;
}
