//! UTC timestamps without a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// `(year, month, day, hour, minute, second)` in UTC.
pub fn utc_parts(t: SystemTime) -> (i64, u32, u32, u32, u32, u32) {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

/// Seconds since the epoch of a UTC civil time (inverse of [`utc_parts`]).
pub fn epoch_secs(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> i64 {
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)
}

/// `2026-11-23 20:18:40,473` (Python logging's asctime) as seconds since
/// the epoch, for a clock `offset_secs` east of UTC.
pub fn parse_asctime(text: &str, offset_secs: i64) -> Option<f64> {
    let (date, clock) = text.split_once(' ')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, mo, da) = (d.next()??, d.next()??, d.next()??);
    let (hms, millis) = clock.split_once(',')?;
    let mut t = hms.split(':').map(|p| p.parse::<u32>().ok());
    let (h, mi, s) = (t.next()??, t.next()??, t.next()??);
    let ms: f64 = millis.trim().parse().ok()?;
    let secs = epoch_secs(
        y,
        u32::try_from(mo).ok()?,
        u32::try_from(da).ok()?,
        h,
        mi,
        s,
    ) - offset_secs;
    Some(secs as f64 + ms / 1000.0)
}

/// `2026-11-23T19:53:00Z`
pub fn rfc3339(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `20261123-195300`: sorts by time, safe in file names.
pub fn compact(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(t);
    format!("{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn known_instants() {
        let at = |secs| UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(rfc3339(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(at(1_795_463_580)), "2026-11-23T19:53:00Z");
        assert_eq!(compact(at(1_795_463_580)), "20261123-195300");
        assert_eq!(epoch_secs(2026, 11, 23, 19, 53, 0), 1_795_463_580);
        assert_eq!(epoch_secs(2000, 2, 29, 0, 0, 0), 951_782_400);
        assert_eq!(
            parse_asctime("2026-11-23 19:53:00,250", 0),
            Some(1_795_463_580.25)
        );
        assert_eq!(
            parse_asctime("2026-11-23 20:53:00,000", 3600),
            Some(1_795_463_580.0)
        );
        assert_eq!(parse_asctime("Start MPyC", 0), None);
    }
}
