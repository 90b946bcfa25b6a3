// A site's school calendar on the phone, as checklists/calendar.py reads it: terms,
// holidays and make-up school days (调休). Dates are the site's local dates; here a date is
// a day number (days since 1970-01-01), which makes the arithmetic of days exact.
//
// A school day is a day on one of the school weekdays that lies in a term (when the
// calendar has terms at all) and is not a holiday; a make-up school day is a school day
// whatever else is true of it.

const DAY_MS = 86_400_000;

// "2026-11-23" -> day number.
export function dayNumber(iso) {
  const [year, month, day] = iso.split("-").map(Number);
  return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}

// Day number -> "2026-11-23".
export function isoDay(day) {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

// 1 is Monday, as Python's isoweekday (1970-01-01 was a Thursday).
export function isoWeekday(day) {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

// Year, month (1-12) and day of month of a day number.
export function dateParts(day) {
  const at = new Date(day * DAY_MS);
  return { year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, date: at.getUTCDate() };
}

export function fromParts(year, month, date) {
  return Math.floor(Date.UTC(year, month - 1, date) / DAY_MS);
}

export function monthLength(year, month) {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

// `record`: the `calendar` of a pulled calendar record ({terms, holidays,
// extra_school_days, school_weekdays}); null or undefined: no calendar.
export class SchoolCalendar {
  constructor(record = {}) {
    this.terms = (record.terms ?? [])
      .map((term) => ({
        key: term.key,
        name: term.name,
        firstDay: dayNumber(term.first_day),
        lastDay: dayNumber(term.last_day),
      }))
      .sort((a, b) => a.firstDay - b.firstDay);
    for (const term of this.terms) term.days = term.lastDay - term.firstDay + 1;
    this.extra = new Set((record.extra_school_days ?? []).map(dayNumber));
    this.weekdays = new Set(record.school_weekdays ?? [1, 2, 3, 4, 5]);
    this.holidays = new Set();
    for (const holiday of record.holidays ?? []) {
      for (let day = dayNumber(holiday.first_day); day <= dayNumber(holiday.last_day); day += 1) {
        this.holidays.add(day);
      }
    }
  }

  termOf(day) {
    let found = null;
    for (const term of this.terms) {
      if (term.firstDay > day) break;
      found = term;
    }
    return found && day <= found.lastDay ? found : null;
  }

  isHoliday(day) {
    return !this.extra.has(day) && this.holidays.has(day);
  }

  isSchoolDay(day) {
    if (this.extra.has(day)) return true;
    if (this.holidays.has(day) || !this.weekdays.has(isoWeekday(day))) return false;
    return this.terms.length === 0 || this.termOf(day) !== null;
  }

  // Terms that end on or after `day`, earliest first.
  termsFrom(day) {
    return this.terms.filter((term) => term.lastDay >= day);
  }
}

export const WEEKDAYS_ONLY = new SchoolCalendar();
