package dashboard

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/routing"
)

// NoDataText stands where a figure has nothing to be computed from: never
// 0% or 100%.
const NoDataText = "Chưa có dữ liệu"

// The indicators the units under a scope can be sorted by.
const (
	SortOnTime  = "on_time"
	SortSigned  = "signed"
	SortLeaders = "leaders"
	SortOverdue = "overdue"
	SortMedian  = "median"
)

// Choice is a value and its Vietnamese label.
type Choice struct{ Code, Label string }

// Sorts are the indicators of the units' bar chart, the default first.
var Sorts = []Choice{
	{SortOnTime, "Tỷ lệ hồ sơ xử lý đúng hạn"},
	{SortSigned, "Tỷ lệ văn bản có chữ ký số"},
	{SortLeaders, "Tỷ lệ lãnh đạo sử dụng hệ thống"},
	{SortOverdue, "Số hồ sơ quá hạn"},
	{SortMedian, "Thời gian tiếp nhận (trung vị)"},
}

// Definitions state how each figure is counted, on the page and in the
// exports.
var Definitions = []string{
	"Văn bản phát hành: văn bản được phát hành lần đầu trong tháng (lần gửi đầu tiên của đơn vị); văn bản mật không gửi qua hệ thống nên không bao giờ được tính. Có chữ ký số: bản được phát hành có kết quả kiểm tra chữ ký hợp lệ. Mục tiêu 100%.",
	"Hồ sơ đúng hạn: hoàn thành chậm nhất trong ngày của hạn xử lý (giờ Việt Nam); văn bản có nhiệm vụ chủ trì được tính theo nhiệm vụ chủ trì (hạn và ngày hoàn thành của nhiệm vụ), văn bản không có nhiệm vụ tính theo trạng thái. Hồ sơ đến hạn: hạn trong khoảng thời gian đã qua, hoặc đã hoàn thành. Mục tiêu 98%.",
	"Thời gian tiếp nhận: từ lúc văn bản đến tới lúc văn thư tiếp nhận; số liệu của nhiều đơn vị là trung vị của các trung vị hằng tháng của từng đơn vị.",
	"Hồ sơ quá hạn: chưa hoàn thành và đã qua hạn xử lý; văn bản bị từ chối hoặc đã thu hồi không được tính.",
	"Lãnh đạo sử dụng hệ thống: tài khoản có vai trò người ký (đang hoạt động) đã ký số hoặc cho ý kiến chỉ đạo trong tháng, tính theo lượt lãnh đạo × tháng. Mục tiêu 100%.",
	"Họp không giấy: cuộc họp đã kết thúc có bộ tài liệu đọc trên màn hình; số trang không phải in = số trang bộ tài liệu × số người điểm danh.",
}

// Target is one of the plan's figures against its goal.
type Target struct {
	Key      string
	Label    string
	Value    string  // the figure, or NoDataText
	Raw      float64 // the figure as a number (a share 0..1), or NoData
	Share    bool    // Raw is a share
	Goal     float64 // the goal as a number, or NoData
	GoalText string  // "Mục tiêu 98%", or empty when the plan sets none
	Detail   string  // what it is computed from
	NoData   bool
	Met      bool // reaches the goal
	Missed   bool // falls short of it (or, for overdue cases, any at all)
}

// UnitRow is a unit under the scope, its figures formatted.
type UnitRow struct {
	routing.UnitFigures
	Link                            string
	Signed, OnTime, Leaders, Median string
	Overdue                         string
	Value                           float64 // of the chosen indicator
}

// Report is a dashboard made ready to show and to export.
type Report struct {
	Dashboard   routing.Dashboard
	Scope       string // the unit and its kind
	Period      string // "từ tháng 01/2026 đến tháng 12/2026"
	Sort        string
	SortLabel   string
	Targets     []Target
	Trends      []Chart
	Units       Chart
	Rows        []UnitRow // the units under the scope, laggards first
	GeneratedAt time.Time
}

// Build makes the report of d with the units sorted by the indicator sort
// (laggards first); link gives the address of a unit's dashboard.
func Build(d routing.Dashboard, sort string, link func(unitID int64) string, now time.Time) Report {
	if !validSort(sort) {
		sort = SortOnTime
	}
	r := Report{Dashboard: d, Scope: ScopeName(d.UnitName, d.Kind), Period: PeriodText(d.From, d.To), Sort: sort,
		SortLabel: label(Sorts, sort), GeneratedAt: now}
	r.Targets = targets(d.Totals)
	r.Trends = trends(d)
	r.Rows, r.Units = units(d, sort, link)
	return r
}

func validSort(s string) bool {
	for _, c := range Sorts {
		if c.Code == s {
			return true
		}
	}
	return false
}

func label(cs []Choice, code string) string {
	for _, c := range cs {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

// ScopeName is the unit's name, with what it covers.
func ScopeName(name, kind string) string {
	switch kind {
	case "department":
		return name + " (toàn thành phố)"
	case "district_office":
		return name + " và các trường trực thuộc"
	}
	return name
}

// PeriodText says the period of months in Vietnamese.
func PeriodText(from, to string) string {
	if from == to {
		return "tháng " + MonthLabel(from)
	}
	return "từ tháng " + MonthLabel(from) + " đến tháng " + MonthLabel(to)
}

// MonthLabel turns YYYY-MM into MM/YYYY.
func MonthLabel(m string) string {
	if len(m) == 7 && m[4] == '-' {
		return m[5:] + "/" + m[:4]
	}
	return m
}

// Percent formats a share (0..1) the Vietnamese way: "97,5%"; NoDataText
// when negative.
func Percent(v float64) string {
	if v < 0 {
		return NoDataText
	}
	s := strconv.FormatFloat(v*100, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return strings.Replace(s, ".", ",", 1) + "%"
}

// Number formats a count or a number of hours: one decimal at most, a
// decimal comma.
func Number(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return strings.Replace(s, ".", ",", 1)
}

// Hours formats a median number of hours, or NoDataText.
func Hours(h *float64) string {
	if h == nil {
		return NoDataText
	}
	return Number(*h) + " giờ"
}

func ratio(n, of int, what string) string { return fmt.Sprintf("%d/%d %s", n, of, what) }

func shareTarget(key, lbl string, v, goal float64, detail string) Target {
	t := Target{Key: key, Label: lbl, Value: Percent(v), Raw: v, Share: true, Goal: goal, GoalText: "Mục tiêu " + Percent(goal), Detail: detail, NoData: v < 0}
	if !t.NoData {
		t.Met, t.Missed = v >= goal-1e-9, v < goal-1e-9
	}
	return t
}

func targets(f routing.Figures) []Target {
	out := []Target{
		shareTarget(SortSigned, "Văn bản phát hành có chữ ký số", f.SignedShare(), routing.TargetSigned, ratio(f.IssuedValid, f.Issued, "văn bản phát hành")),
		shareTarget(SortOnTime, "Hồ sơ xử lý đúng hạn", f.OnTimeShare(), routing.TargetOnTime, ratio(f.CasesOnTime, f.CasesDue, "hồ sơ đến hạn")),
		{Key: SortMedian, Label: "Thời gian tiếp nhận (trung vị)", Value: Hours(f.MedianHoursToAccept), Raw: deref(f.MedianHoursToAccept),
			Goal: NoData, NoData: f.MedianHoursToAccept == nil, Detail: fmt.Sprintf("%d văn bản đến", f.Received)},
		{Key: SortOverdue, Label: "Hồ sơ quá hạn chưa xử lý", Value: strconv.Itoa(f.CasesOverdue), Raw: float64(f.CasesOverdue), Goal: NoData,
			NoData: !f.HasData(), Missed: f.CasesOverdue > 0, Met: f.HasData() && f.CasesOverdue == 0, Detail: "chưa hoàn thành, đã qua hạn"},
		shareTarget(SortLeaders, "Lãnh đạo ký hoặc chỉ đạo trên hệ thống", f.LeaderShare(), routing.TargetLeaders, ratio(f.LeadersActive, f.LeaderMonths, "lượt lãnh đạo × tháng")),
		{Key: "meetings", Label: "Họp không giấy", Value: fmt.Sprintf("%d/%d cuộc họp", f.MeetingsPaperless, f.Meetings), Raw: float64(f.MeetingsPaperless),
			Goal: NoData, NoData: f.Meetings == 0, Detail: fmt.Sprintf("%d trang không phải in", f.PagesNotPrinted)},
	}
	for i := range out {
		if out[i].NoData {
			out[i].Value, out[i].Raw, out[i].Met, out[i].Missed = NoDataText, NoData, false, false
		}
	}
	return out
}

func trends(d routing.Dashboard) []Chart {
	months := make([]string, len(d.Trend))
	for i, m := range d.Trend {
		months[i] = m.Month
	}
	line := func(id, title string, target float64, v func(routing.Figures) float64) Chart {
		vals := make([]float64, len(d.Trend))
		for i, m := range d.Trend {
			vals[i] = v(m.Figures)
		}
		return Chart{ID: id, Title: title, Percent: true, Target: target, TargetLabel: "Mục tiêu " + Percent(target),
			Months: months, Series: []Series{{Name: title, Values: vals}},
			Desc: fmt.Sprintf("%s theo tháng, %s, so với mục tiêu %s; số liệu trong bảng bên cạnh.", title, PeriodText(d.From, d.To), Percent(target))}
	}
	return []Chart{
		line("trend-signed", "Tỷ lệ văn bản phát hành có chữ ký số", routing.TargetSigned, routing.Figures.SignedShare),
		line("trend-on-time", "Tỷ lệ hồ sơ xử lý đúng hạn", routing.TargetOnTime, routing.Figures.OnTimeShare),
		line("trend-leaders", "Tỷ lệ lãnh đạo ký hoặc chỉ đạo trên hệ thống", routing.TargetLeaders, routing.Figures.LeaderShare),
	}
}

// value is a unit's figure for the indicator sort, NoData when none, and
// whether more is better.
func value(f routing.Figures, sort string) (float64, bool) {
	switch sort {
	case SortSigned:
		return f.SignedShare(), true
	case SortLeaders:
		return f.LeaderShare(), true
	case SortOverdue:
		if !f.HasData() {
			return NoData, false
		}
		return float64(f.CasesOverdue), false
	case SortMedian:
		if f.MedianHoursToAccept == nil {
			return NoData, false
		}
		return *f.MedianHoursToAccept, false
	}
	return f.OnTimeShare(), true
}

func units(d routing.Dashboard, sort string, link func(int64) string) ([]UnitRow, Chart) {
	rows := make([]UnitRow, len(d.Children))
	higherBetter := true
	for i, u := range d.Children {
		v, hb := value(u.Figures, sort)
		higherBetter = hb
		rows[i] = UnitRow{UnitFigures: u, Value: v, Signed: Percent(u.SignedShare()), OnTime: Percent(u.OnTimeShare()),
			Leaders: Percent(u.LeaderShare()), Median: Hours(u.MedianHoursToAccept), Overdue: strconv.Itoa(u.CasesOverdue)}
		if !u.HasData() {
			rows[i].Overdue = NoDataText
		}
		if link != nil {
			rows[i].Link = link(u.UnitID)
		}
	}
	// Laggards first: the lowest share, the most overdue, the slowest;
	// units with no data last; then by name.
	slices.SortStableFunc(rows, func(a, b UnitRow) int {
		if (a.Value < 0) != (b.Value < 0) {
			if a.Value < 0 {
				return 1
			}
			return -1
		}
		c := cmp.Compare(a.Value, b.Value)
		if !higherBetter {
			c = -c
		}
		if c != 0 {
			return c
		}
		return strings.Compare(a.UnitName, b.UnitName)
	})
	ch := Chart{ID: "units", Title: label(Sorts, sort) + " của các đơn vị trực thuộc", Target: NoData}
	switch sort {
	case SortSigned:
		ch.Percent, ch.Target = true, routing.TargetSigned
	case SortOnTime:
		ch.Percent, ch.Target = true, routing.TargetOnTime
	case SortLeaders:
		ch.Percent, ch.Target = true, routing.TargetLeaders
	}
	if ch.Target >= 0 {
		ch.TargetLabel = "Mục tiêu " + Percent(ch.Target)
	}
	for _, r := range rows {
		b := Bar{Label: r.UnitName, Value: r.Value, Link: r.Link}
		switch sort {
		case SortSigned:
			b.Note = ratio(r.IssuedValid, r.Issued, "văn bản")
		case SortOnTime:
			b.Note = ratio(r.CasesOnTime, r.CasesDue, "hồ sơ")
		case SortLeaders:
			b.Note = ratio(r.LeadersActive, r.LeaderMonths, "lượt")
		}
		ch.Bars = append(ch.Bars, b)
	}
	ch.Desc = fmt.Sprintf("%s, %s, đơn vị chậm nhất ở trên cùng; số liệu trong bảng bên cạnh.", ch.Title, PeriodText(d.From, d.To))
	return rows, ch
}

// Refreshed says when the figures were computed, in Vietnam time.
func Refreshed(t time.Time) string {
	return t.In(domain.VietnamTime).Format("15:04 02/01/2006")
}

func deref(p *float64) float64 {
	if p == nil {
		return NoData
	}
	return *p
}
