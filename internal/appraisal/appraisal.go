// Package appraisal holds cadre appraisal (绩效考核): the scorecard
// formula, kept as versioned configuration like the rule sets, and the
// arithmetic that turns a cadre's counts for a month into metrics and a
// score. The counts come from the store; every metric keeps its numerator
// and denominator so a number can be traced to the records behind it.
package appraisal

import (
	"slices"
	"strconv"

	"tuopin/internal/fault"
	"tuopin/internal/i18n"
)

// Metric codes, in display order. Coverage, timeliness, on-time
// resolution and satisfaction count for the cadre; reopened items and
// "no problem" reports contradicted by verification count against.
const (
	Coverage     = "coverage"     // households visited by their paired cadre
	Timeliness   = "timeliness"   // visits made by the formula's day of the month
	OnTime       = "on_time"      // items resolved by their deadline
	Reopened     = "reopened"     // resolved items that had been reopened
	Contradicted = "contradicted" // sampled households whose check contradicted the cadre
	Satisfaction = "satisfaction" // surveyed households recognising the cadre's help
)

// Metrics lists the metric codes in display order.
var Metrics = []string{Coverage, Timeliness, OnTime, Reopened, Contradicted, Satisfaction}

// against are the metrics whose rate counts against the cadre.
var against = map[string]bool{Reopened: true, Contradicted: true}

// Formula is one version of the scorecard: a weight per metric (summing
// to 100) and the day of the month by which a visit is timely. A stored
// version is never edited; a change is a new version.
type Formula struct {
	ID        int64          `json:"id"`
	Code      string         `json:"code"`
	Version   int            `json:"version"`
	Weights   map[string]int `json:"weights"`
	TimelyDay int            `json:"timely_day"`
	CreatedAt string         `json:"created_at"`
	CreatedBy string         `json:"created_by"`
}

// Check reports what is wrong with a formula: unknown metrics, negative
// weights, weights that do not sum to 100, a day outside the month.
func (f Formula) Check() []fault.FieldError {
	var errs []fault.FieldError
	sum := 0
	for m, w := range f.Weights {
		if !slices.Contains(Metrics, m) {
			errs = append(errs, fault.FieldError{Field: "weights." + m, Value: strconv.Itoa(w), Reason: i18n.M("reason.enum")})
		}
		if w < 0 {
			errs = append(errs, fault.FieldError{Field: "weights." + m, Value: strconv.Itoa(w), Reason: i18n.M("reason.negative")})
		}
		sum += w
	}
	if sum != 100 {
		errs = append(errs, fault.FieldError{Field: "weights", Value: strconv.Itoa(sum), Reason: i18n.M("reason.weights_sum")})
	}
	if f.TimelyDay < 1 || f.TimelyDay > 28 {
		errs = append(errs, fault.FieldError{Field: "timely_day", Value: strconv.Itoa(f.TimelyDay), Reason: i18n.M("reason.range", "min", "1", "max", "28")})
	}
	if f.Code == "" {
		errs = append(errs, fault.FieldError{Field: "code", Reason: i18n.M("reason.required")})
	}
	return errs
}

// Counts are what the store counted for one cadre and month.
type Counts struct {
	Households     int64 `json:"households"`       // paired at the end of the month
	Visited        int64 `json:"visited"`          // of those, visited by the cadre in the month
	Visits         int64 `json:"visits"`           // the cadre's visits to them in the month
	TimelyVisits   int64 `json:"timely_visits"`    // of those, by the formula's day
	Resolved       int64 `json:"resolved"`         // their items resolved in the month
	ResolvedOnTime int64 `json:"resolved_on_time"` // of those, by the deadline (or without one)
	Reopened       int64 `json:"reopened"`         // of those, items that had been reopened
	Samples        int64 `json:"samples"`          // their households checked by a verifier in the month
	Contradicted   int64 `json:"contradicted"`     // flags against the cadre in the month
	Surveys        int64 `json:"surveys"`          // their households surveyed in the month
	Recognised     int64 `json:"recognised"`       // of those, recognising the cadre's help
}

// Metric is one line of a scorecard: the rate, its numerator and
// denominator, the weight and the points it earned. A metric without a
// denominator has no data and does not count either way.
type Metric struct {
	Code        string  `json:"code"`
	Numerator   int64   `json:"numerator"`
	Denominator int64   `json:"denominator"`
	Rate        float64 `json:"rate"`
	Against     bool    `json:"against"` // a higher rate is worse
	Weight      int     `json:"weight"`
	Points      float64 `json:"points"`
	NoData      bool    `json:"no_data"`
}

// Score turns counts into metrics and a score out of 100. Each metric
// with data earns weight × rate (× (1 − rate) for those against); the sum
// is scaled by the weights of the metrics with data, so a cadre is
// neither rewarded nor punished for what was not measured (no sample, no
// survey). A cadre with no metric at all has score 0 and Measured false.
func (f Formula) Score(c Counts) (score float64, measured bool, metrics []Metric) {
	pairs := map[string][2]int64{
		Coverage:     {c.Visited, c.Households},
		Timeliness:   {c.TimelyVisits, c.Visits},
		OnTime:       {c.ResolvedOnTime, c.Resolved},
		Reopened:     {c.Reopened, c.Resolved},
		Contradicted: {c.Contradicted, c.Samples},
		Satisfaction: {c.Recognised, c.Surveys},
	}
	var points, weights float64
	for _, code := range Metrics {
		p := pairs[code]
		m := Metric{Code: code, Numerator: p[0], Denominator: p[1], Against: against[code], Weight: f.Weights[code]}
		if p[1] <= 0 {
			m.NoData = true
		} else {
			m.Rate = min(1, float64(p[0])/float64(p[1]))
			good := m.Rate
			if m.Against {
				good = 1 - m.Rate
			}
			m.Points = float64(m.Weight) * good
			points += m.Points
			weights += float64(m.Weight)
		}
		metrics = append(metrics, m)
	}
	if weights == 0 {
		return 0, false, metrics
	}
	return points / weights * 100, true, metrics
}

// Card is one cadre's scorecard for a month: who, the counts, the
// metrics, the score and the ranks within the cadre's unit and township.
type Card struct {
	CadreID      int64    `json:"cadre_id"`
	Name         string   `json:"name"`
	Unit         string   `json:"unit"`
	Area         string   `json:"area"` // the township the cadre works in
	Counts       Counts   `json:"counts"`
	Score        float64  `json:"score"`
	Measured     bool     `json:"measured"`
	Metrics      []Metric `json:"metrics"`
	RankTownship int      `json:"rank_township"`
	RankUnit     int      `json:"rank_unit"`
}

// ScoreAll fills every card's metrics and score with f, ranks the cards
// within each township and each unit (equal scores share a rank), and
// sorts them best first; ties keep the order of cadre IDs.
func (f Formula) ScoreAll(cards []Card) {
	for i := range cards {
		cards[i].Score, cards[i].Measured, cards[i].Metrics = f.Score(cards[i].Counts)
		// Two decimals are what a report shows; rounding here keeps ranks
		// from splitting on noise in the last bits.
		cards[i].Score = float64(int64(cards[i].Score*100+0.5)) / 100
	}
	slices.SortStableFunc(cards, func(a, b Card) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return int(a.CadreID - b.CadreID)
	})
	rank := func(key func(Card) string, set func(*Card, int)) {
		seen, last, lastScore := map[string]int{}, map[string]int{}, map[string]float64{}
		for i := range cards {
			k := key(cards[i])
			seen[k]++
			if seen[k] == 1 || cards[i].Score != lastScore[k] {
				last[k] = seen[k]
			}
			lastScore[k] = cards[i].Score
			set(&cards[i], last[k])
		}
	}
	rank(func(c Card) string { return c.Area }, func(c *Card, r int) { c.RankTownship = r })
	rank(func(c Card) string { return c.Unit }, func(c *Card, r int) { c.RankUnit = r })
}

// Thresholds of the lists the levers need. A nomination for awards
// (评优树先) needs a measured score of at least AwardScore, a rank of 1 to
// 3 in the township and no report contradicted by verification. A cadre
// is not performing (不在状态、不履职责; a candidate for reassignment)
// with a measured score below LaggingScore or a contradicted report.
// They are where the office starts; the office decides.
const (
	AwardScore   = 90
	LaggingScore = 60
)

// Lists splits scored cards into award nominations and cadres not
// performing, each in score order.
func Lists(cards []Card) (awards, lagging []Card) {
	awards, lagging = []Card{}, []Card{}
	for _, c := range cards {
		contradicted := c.Counts.Contradicted > 0
		switch {
		case c.Measured && c.Score >= AwardScore && c.RankTownship <= 3 && !contradicted:
			awards = append(awards, c)
		case c.Measured && (c.Score < LaggingScore || contradicted):
			lagging = append(lagging, c)
		}
	}
	return awards, lagging
}
