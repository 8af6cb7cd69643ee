package registry

import "tuopin/internal/fault"

// Case is a monitoring case (防止返贫动态监测): a household at risk of
// falling (back) into poverty, from the lead through identification
// (household check with signed consent → village review and notice →
// township review → county approval) to assistance and, at last, risk
// elimination (风险消除). Data stays after elimination.
type Case struct {
	ID          int64    `json:"id"`
	County      string   `json:"county"`
	HouseholdID int64    `json:"household_id"`
	VillageCode string   `json:"village_code"`
	HeadName    string   `json:"head_name"`
	Channel     string   `json:"channel"`  // CaseChannels
	Source      string   `json:"source"`   // hotline ticket, visit, department file and row
	Risks       []string `json:"risks"`    // RiskKinds
	Category    string   `json:"category"` // CaseCategories, set by the household check
	Status      string   `json:"status"`
	LeadDate    string   `json:"lead_date"`    // YYYY-MM-DD, the 15 days run from here
	NoticeStart string   `json:"notice_start"` // village notice (公示)
	NoticeEnd   string   `json:"notice_end"`
	ApprovedAt  string   `json:"approved_at"` // county approval date
	Late        bool     `json:"late"`        // approved more than ApprovalDays after the lead
	ClosedAt    string   `json:"closed_at"`   // rejected, not at risk or eliminated
	CreatedBy   string   `json:"created_by"`
	Version     int      `json:"version"`

	// Overdue is set on lists: still unapproved ApprovalDays after the lead,
	// or monitored a month with no measure.
	Overdue string `json:"overdue,omitempty"`
	// MeasureCount is the number of measures given, filled on lists.
	MeasureCount int           `json:"measure_count"`
	Steps        []CaseStep    `json:"steps,omitempty"`
	Measures     []CaseMeasure `json:"measures,omitempty"`
}

// CaseStep is one step of a case, with who took it, when and the evidence.
type CaseStep struct {
	ID       int64  `json:"id"`
	Step     string `json:"step"`
	Outcome  string `json:"outcome"`
	Actor    string `json:"actor"`
	Date     string `json:"date"` // YYYY-MM-DD
	At       string `json:"at"`
	Evidence string `json:"evidence"`
	Note     string `json:"note"`
}

// CaseMeasure is assistance given to a monitored household: development
// measures for those who can work, the safety net for those who cannot.
type CaseMeasure struct {
	ID          int64  `json:"id"`
	Category    string `json:"category"` // MeasureCategories
	Description string `json:"description"`
	Unit        string `json:"unit"`
	Cost        int64  `json:"cost"` // fen
	StartDate   string `json:"start_date"`
	Actor       string `json:"actor"`
}

// Development reports whether the measure builds the household's own
// income, as opposed to the safety net.
func (m CaseMeasure) Development() bool { return m.Category != "safety_net" }

// Case statuses in the order a case moves through them.
const (
	CaseLead       = "lead"       // 线索
	CaseChecked    = "checked"    // 入户核实, consent signed
	CaseNoticed    = "noticed"    // 村级评议、公示
	CaseTownship   = "township"   // 乡镇审核
	CaseMonitored  = "monitored"  // 县级确认: a monitored household (监测对象)
	CaseRejected   = "rejected"   // not approved, or not at risk
	CaseEliminated = "eliminated" // 风险消除
)

// CaseChannels are the three intake channels: the household's own report
// (12317 hotline, app), a cadre's screening during a visit, and a
// department's data compared by ID number.
var CaseChannels = []string{"self_report", "cadre_screening", "department"}

// CaseCategories are the three kinds of monitored household: exited but
// unstable (脱贫不稳定户), edge households never registered
// (边缘易致贫户), sudden severe difficulty (突发严重困难户).
var CaseCategories = []string{"unstable", "edge", "sudden"}

// Deadlines of identification and elimination (中农组发〔2021〕7号 and
// the 2020-03-20 guidance): a notice of at least five days, county
// approval within fifteen days of the lead, and income above the range
// for six months before the risk counts as eliminated.
const (
	NoticeDays        = 5
	ApprovalDays      = 15
	EliminationMonths = 6
	// MeasureDays is how long a monitored household may go without a
	// measure before it is flagged, a known audit failure.
	MeasureDays = 30
)

// CaseAction is a step taken on a case.
type CaseAction struct {
	Action   string `json:"action"` // check, notice, township_review, county_approve, assist, eliminate
	Version  int    `json:"version"`
	Date     string `json:"date"`    // when the step happened, today when empty
	Outcome  string `json:"outcome"` // check: at_risk / not_at_risk; reviews: approve / reject
	Consent  bool   `json:"consent"` // check: the household signed its consent (授权承诺书)
	Category string `json:"category"`
	Evidence string `json:"evidence"`
	Note     string `json:"note"`
	// NoticeDays is the length of the village notice, at least NoticeDays.
	NoticeDays int `json:"notice_days"`
	// Measure is the assistance an assist step adds.
	Measure *CaseMeasure `json:"measure,omitempty"`
	// Stable is filled by the assessor for an eliminate step: one entry
	// per month checked, oldest first.
	Stable []StableMonth `json:"stable,omitempty"`
}

// StableMonth says whether a month's recorded facts passed every
// monitoring rule: income above the range, rigid spending covered,
// guarantees held.
type StableMonth struct {
	Period    string   `json:"period"`
	Assessed  bool     `json:"assessed"`
	Passed    bool     `json:"passed"`
	PerCapita int64    `json:"per_capita_income"`
	Line      int64    `json:"monitoring_line"`
	Failed    []string `json:"failed,omitempty"`
}

// NoticeEntry is one line of a public notice (公示): no ID number, phone,
// bank account or health data, and no risk that would reveal them.
type NoticeEntry struct {
	CaseID      int64  `json:"case_id"`
	VillageCode string `json:"village_code"`
	VillageName string `json:"village_name"`
	Group       string `json:"group"`
	HeadName    string `json:"head_name"`
	Size        int    `json:"size"`
	Category    string `json:"category"`
	NoticeStart string `json:"notice_start"`
	NoticeEnd   string `json:"notice_end"`
}

// DepartmentAlert is one row of a department's data file (health
// insurance, civil affairs, housing, education): a person, by ID number,
// whose data shows a risk. Row is the file's row number, for errors.
type DepartmentAlert struct {
	Row        int    `json:"row"`
	IDNumber   string `json:"id_number"`
	Department string `json:"department"`
	Risk       string `json:"risk"`
	Note       string `json:"note"`
}

// AlertReport says what a department file did: rows read, rows matched to
// a member in scope, leads opened, households that already had a case, and
// every row that could not be used, by row number.
type AlertReport struct {
	File        string             `json:"file"`
	SHA256      string             `json:"sha256"`
	Rows        int                `json:"rows"`
	Matched     int                `json:"matched"`
	Opened      int                `json:"opened"`
	AlreadyOpen int                `json:"already_open"`
	Errors      []fault.FieldError `json:"errors"`
	Committed   bool               `json:"committed"`
}
