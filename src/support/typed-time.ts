// Times that a person types to select deliveries (the inspector's filter, the commands' --since
// and --until): an ISO 8601 date, or date and time, read as UTC unless it carries an offset.
// Written by hand because Date's own parser is lenient past use here: it reads 2026-02-30 as
// 2 March, "1" as the year 2001 and a time without an offset in the machine's zone, so that a
// slip of the keyboard would quietly select other deliveries.

const isoTime = /^([+-]?\d{4,6})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}:\d{2})?$/i;

/** The time that `typed` names, or undefined when it names none (a day or an hour out of range included). */
export function parseTypedTime(typed: string): Date | undefined {
  const match = isoTime.exec(typed.trim());
  if (!match) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', offset = 'Z'] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const time = new Date(0);
  time.setUTCFullYear(fields[0], fields[1] - 1, fields[2]);
  time.setUTCHours(fields[3], fields[4], fields[5]);
  const asTyped = [
    time.getUTCFullYear(),
    time.getUTCMonth() + 1,
    time.getUTCDate(),
    time.getUTCHours(),
    time.getUTCMinutes(),
    time.getUTCSeconds(),
  ];
  // Date rolls over what is out of range (30 February, hour 25) instead of refusing it.
  if (asTyped.some((field, index) => field !== fields[index])) return undefined;
  const offsetMinutes = offsetOf(offset);
  if (offsetMinutes === undefined) return undefined;
  const milliseconds = Math.floor(Number(`0${fraction}`) * 1000);
  const utc = new Date(time.getTime() + milliseconds - offsetMinutes * 60_000);
  return Number.isNaN(utc.getTime()) ? undefined : utc;
}

/** An offset's minutes east of UTC, or undefined past 23:59. */
function offsetOf(offset: string): number | undefined {
  if (offset.toUpperCase() === 'Z') return 0;
  const hours = Number(offset.slice(1, 3));
  const minutes = Number(offset.slice(4, 6));
  if (hours > 23 || minutes > 59) return undefined;
  return (offset.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

/** Whether `value` is a Date that holds a time (not an Invalid Date): what a caller in JavaScript may pass where the types say Date. */
export const isTime = (value: unknown): value is Date => value instanceof Date && !Number.isNaN(value.getTime());
