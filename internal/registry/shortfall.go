package registry

// Shortfall is one failed exit rule of one household (短板), worked to
// zero (清零): open → in_progress → resolved → verified, or reopened.
type Shortfall struct {
	ID              int64  `json:"id"`
	County          string `json:"county"`
	HouseholdID     int64  `json:"household_id"`
	VillageCode     string `json:"village_code"`
	RuleSetCode     string `json:"ruleset_code"`
	RuleCode        string `json:"rule_code"`
	Indicator       string `json:"indicator"`
	Status          string `json:"status"`
	OpenedPeriod    string `json:"opened_period"`
	OpenedAt        string `json:"opened_at"`
	MeasureCategory string `json:"measure_category"` // 帮扶措施 category
	MeasureCost     int64  `json:"measure_cost"`     // fen
	MeasureUnit     string `json:"measure_unit"`     // responsible unit
	Deadline        string `json:"deadline"`         // YYYY-MM-DD
	PlannedBy       string `json:"planned_by"`
	Resolution      string `json:"resolution"` // auto (the rule passes again) or reported
	Evidence        string `json:"evidence"`
	ResolvedBy      string `json:"resolved_by"`
	ResolvedAt      string `json:"resolved_at"`
	VerifiedBy      string `json:"verified_by"`
	VerifiedAt      string `json:"verified_at"`
	Reopened        int    `json:"reopened"`
	Version         int    `json:"version"`
}

// Shortfall statuses.
const (
	ShortfallOpen       = "open"
	ShortfallInProgress = "in_progress"
	ShortfallResolved   = "resolved"
	ShortfallVerified   = "verified"
)

// MeasureCategories are the kinds of assistance measure (帮扶措施), with
// the days a measure of that kind gets before it is overdue when the
// parameter table (kind deadline_<category>) has no row for the area.
var MeasureCategories = map[string]int{
	"industry": 90, "employment": 60, "relocation": 180, "education": 30, "health": 30, "housing": 120,
	"safety_net": 30, "ecological": 60, "microcredit": 60, "solar": 120, "ecommerce": 60, "other": 60,
}
