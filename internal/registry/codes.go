package registry

// Code lists of the registry (建档立卡), DOMAIN.md §3. Each code's label
// lives in the message catalogue under "code.<list>.<code>", so the
// importer accepts the Chinese label, the English label or the code.

// Lists maps a list name to its codes in display order.
var Lists = map[string][]string{
	// 识别标准: national, provincial or municipal line.
	"standard": {"national", "province", "city"},
	// 贫困户属性: 一般贫困户, 低保贫困户, 特困供养贫困户.
	"attribute": {"general", "dibao", "tekun"},
	// 致贫原因.
	"cause": {"illness", "disability", "schooling", "disaster", "land", "water", "skills", "labour", "capital", "transport", "motivation", "other"},
	// 贫困户状态: 贫困, 预脱贫, 已脱贫, 返贫.
	// non_poor is a household outside the poverty registry (一般农户),
	// kept so edge households (边缘易致贫户) can be monitored.
	"status":     {"poor", "pre_exit", "exited", "returned", "non_poor"},
	"grade":      {"A", "B", "C", "D"},
	"relocation": {"none", "centralised", "dispersed"},
	"structure":  {"steel_concrete", "brick_concrete", "brick_wood", "earth_wood", "wood", "other"},
	// 饮水来源.
	"water_source":  {"tap", "protected_well", "unprotected_well", "river", "rainwater", "bottled"},
	"water_quality": {"tested", "basic", "failed", "unknown"},
	"fuel":          {"firewood", "coal", "gas", "electricity", "biogas", "other"},
	"sex":           {"M", "F"},
	"relation":      {"head", "spouse", "son", "daughter", "daughter_in_law", "son_in_law", "grandson", "granddaughter", "father", "mother", "sibling", "other"},
	"education":     {"none", "preschool", "primary", "junior", "senior", "vocational", "college"},
	// 在校生状况; home_teaching is 送教上门, which counts as schooling.
	"student":   {"not_student", "preschool", "primary", "junior", "senior", "vocational", "college", "home_teaching", "dropped_out"},
	"health":    {"healthy", "chronic", "serious", "disabled"},
	"labour":    {"ordinary", "skilled", "lost", "none"},
	"unitlevel": {"province", "city", "county", "township", "village"},
	// Risks a visit or a department may report (风险类型).
	"risk": RiskKinds,
}

// InList reports whether code belongs to list.
func InList(list, code string) bool {
	for _, c := range Lists[list] {
		if c == code {
			return true
		}
	}
	return false
}
