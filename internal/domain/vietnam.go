package domain

import (
	"fmt"
	"time"
	_ "time/tzdata" // Vietnam time even where the system has no zone data
)

// VietnamZone is the zone's name, for SQL (AT TIME ZONE) as for Go.
const VietnamZone = "Asia/Ho_Chi_Minh"

// VietnamTime is the zone every date and time is shown, written and judged
// in. Vietnam has kept UTC+7 without daylight saving since 1975.
var VietnamTime = func() *time.Location {
	loc, err := time.LoadLocation(VietnamZone)
	if err != nil { // unreachable with time/tzdata embedded
		return time.FixedZone("+07", 7*3600)
	}
	return loc
}()

// Place is where the department's documents are issued (Decree 30,
// Appendix I, ô 4: the place name of the organisation's seat).
const Place = "Thành phố Hồ Chí Minh"

// FormatSigningTime writes t as Decree 30 shows a signing time: Vietnam
// time, ISO 8601, to the second, e.g. 2021-01-22T09:15:03+07:00.
func FormatSigningTime(t time.Time) string {
	return t.In(VietnamTime).Format(time.RFC3339)
}

// DateWords is a date as documents write it: "ngày 06 tháng 12 năm 2026"
// (Appendix I: days and months below 10 take a leading zero).
func DateWords(t time.Time) string {
	t = t.In(VietnamTime)
	return fmt.Sprintf("ngày %02d tháng %02d năm %d", t.Day(), int(t.Month()), t.Year())
}

// PlaceDate is the place and date line: "Thành phố Hồ Chí Minh, ngày 06
// tháng 12 năm 2026".
func PlaceDate(t time.Time) string { return Place + ", " + DateWords(t) }
