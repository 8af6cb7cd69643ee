package registry

// AccountabilityCase is a case of accountability (追责问责) against a
// cadre: opened by a rule or by hand, investigated, then decided.
type AccountabilityCase struct {
	ID        int64              `json:"id"`
	County    string             `json:"county"`
	CadreID   int64              `json:"cadre_id"`
	CadreName string             `json:"cadre_name"`
	Area      string             `json:"area"`
	Rule      string             `json:"rule"` // AccountabilityRules
	Period    string             `json:"period"`
	Basis     string             `json:"basis"` // what the rule found, or why it was opened by hand
	Status    string             `json:"status"`
	Findings  string             `json:"findings"`
	Decision  string             `json:"decision"` // AccountabilityDecisions
	Evidence  string             `json:"evidence"`
	OpenedBy  string             `json:"opened_by"`
	OpenedAt  string             `json:"opened_at"`
	DecidedBy string             `json:"decided_by"`
	DecidedAt string             `json:"decided_at"`
	Version   int                `json:"version"`
	Tolerance []ToleranceRequest `json:"tolerance,omitempty"`
}

// Accountability rules, decisions and statuses.
var (
	AccountabilityRules = []string{"missed_visits", "contradicted", "overdue_item", "manual"}
	// No action, a reminder (提醒), an admonition talk (诫勉谈话), a
	// reassignment (岗位调整).
	AccountabilityDecisions = []string{"none", "reminder", "admonition", "reassignment"}
)

// Accountability case statuses.
const (
	AccountabilityOpen          = "open"
	AccountabilityInvestigating = "investigating"
	AccountabilityDecided       = "decided"
)

// OverdueDays is how long past its deadline an unresolved item opens a
// case against the household's cadre.
const OverdueDays = 30

// ToleranceRequest is a request for error tolerance (容错纠错) on a case.
type ToleranceRequest struct {
	ID             int64  `json:"id"`
	CaseID         int64  `json:"case_id"`
	Facts          string `json:"facts"`
	Distinction    string `json:"distinction"` // ToleranceDistinctions
	DecidingBody   string `json:"deciding_body"`
	Status         string `json:"status"`  // filed, decided, corrected
	Outcome        string `json:"outcome"` // ToleranceOutcomes
	CorrectionPlan string `json:"correction_plan"`
	CorrectedAt    string `json:"corrected_at"`
	FiledBy        string `json:"filed_by"`
	FiledAt        string `json:"filed_at"`
	DecidedBy      string `json:"decided_by"`
	DecidedAt      string `json:"decided_at"`
	Version        int    `json:"version"`
}

// The three distinctions (三个区分开来) a request may claim: a mistake
// from inexperience, not a deliberate violation; a trial not yet
// prohibited, not defiance of a ban; an unintentional error made for
// development, not for private gain. The outcomes: exempt (免责), lighter
// (从轻), reduced (减轻), refused (不予).
var (
	ToleranceDistinctions = []string{"inexperience", "trial", "development"}
	ToleranceOutcomes     = []string{"exempt", "lighter", "reduced", "refused"}
)
