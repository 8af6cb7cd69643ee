// Package registry holds the precise registry (精准底数, 建档立卡): the
// households, their members, yearly incomes, the cadres who help them and
// the pairings (结对帮扶) between the two, with the checks a record must
// pass before it is stored.
package registry

import (
	"regexp"
	"strconv"
	"time"

	"tuopin/internal/division"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/idcard"
)

// Household is a registered household (贫困户 / 建档立卡户). Money is in fen
// (1/100 yuan) so sums are exact.
type Household struct {
	ID             int64    `json:"id"`
	County         string   `json:"county"`
	Number         string   `json:"number"`       // 户编号, unique in the county
	VillageCode    string   `json:"village_code"` // 12-digit NBS village code
	Group          string   `json:"group"`        // 村民小组 (组)
	HeadName       string   `json:"head_name"`
	Phone          string   `json:"phone"`
	BankAccount    string   `json:"bank_account"`
	Standard       string   `json:"standard"`  // 识别标准
	Attribute      string   `json:"attribute"` // 贫困户属性
	MainCause      string   `json:"main_cause"`
	OtherCauses    []string `json:"other_causes"`
	Status         string   `json:"status"`
	IdentifiedYear int      `json:"identified_year"`
	ExitYear       int      `json:"exit_year"`
	FoodSecure     bool     `json:"food_secure"`     // 不愁吃
	ClothingSecure bool     `json:"clothing_secure"` // 不愁穿

	HousingArea      float64 `json:"housing_area"` // m²
	HousingStructure string  `json:"housing_structure"`
	HousingYear      int     `json:"housing_year"`
	HousingGrade     string  `json:"housing_grade"` // A/B safe, C/D 危房
	Relocation       string  `json:"relocation"`    // 易地扶贫搬迁

	WaterSource     string `json:"water_source"`
	WaterLitres     int    `json:"water_litres"`      // litres per person per day
	WaterQuality    string `json:"water_quality"`     // tested / basic / failed / unknown
	WaterMinutes    int    `json:"water_minutes"`     // round trip to fetch water, 0 when piped
	WaterOutageDays int    `json:"water_outage_days"` // supply interruptions per year

	Electricity  bool    `json:"electricity"`
	CookingFuel  string  `json:"cooking_fuel"`
	LandMu       float64 `json:"land_mu"`
	HasCar       bool    `json:"has_car"`
	HasTownHouse bool    `json:"has_town_house"`
	HasBusiness  bool    `json:"has_business"`

	// ImprovedSanitation is a sanitary toilet (卫生厕所); Assets counts the
	// durable goods the global MPI lists (radio, TV, telephone, computer,
	// animal cart, bicycle, motorbike, refrigerator); ChildDeaths counts
	// children who died in the last five years. All three feed the MPI.
	ImprovedSanitation bool `json:"improved_sanitation"`
	Assets             int  `json:"assets"`
	ChildDeaths        int  `json:"child_deaths"`

	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	Members []Member `json:"members,omitempty"`
	Incomes []Income `json:"incomes,omitempty"`
	// Size is the number of living members, filled by list queries.
	Size int `json:"size"`
}

// Member is a person in a household (家庭成员).
type Member struct {
	ID                int64  `json:"id"`
	HouseholdID       int64  `json:"household_id"`
	County            string `json:"county"`
	Name              string `json:"name"`
	Sex               string `json:"sex"`
	IDNumber          string `json:"id_number"` // 公民身份号码, GB 11643
	DisabilityCert    string `json:"disability_cert"`
	BirthDate         string `json:"birth_date"` // YYYY-MM-DD, from the ID number
	Relation          string `json:"relation"`
	Ethnicity         string `json:"ethnicity"`
	Education         string `json:"education"`
	StudentStatus     string `json:"student_status"`
	Health            string `json:"health"`
	Labour            string `json:"labour"`
	MigrantMonths     int    `json:"migrant_months"`
	Dibao             bool   `json:"dibao"`
	MedicalInsurance  bool   `json:"medical_insurance"`
	CriticalInsurance bool   `json:"critical_insurance"`
	PensionInsurance  bool   `json:"pension_insurance"`
	CivilServant      bool   `json:"civil_servant"`
	Deceased          bool   `json:"deceased"`
	Undernourished    bool   `json:"undernourished"` // 营养不良, an MPI indicator
	Version           int    `json:"version"`
}

// Income is a household's income for one year (收入情况), in fen.
type Income struct {
	Year      int   `json:"year"`
	Wages     int64 `json:"wages"`     // 工资性收入
	Business  int64 `json:"business"`  // 生产经营性收入
	Transfers int64 `json:"transfers"` // 转移性收入
	Property  int64 `json:"property"`  // 财产性收入
	Costs     int64 `json:"costs"`     // 生产经营性支出
	Net       int64 `json:"net"`       // 家庭纯收入
	PerCapita int64 `json:"per_capita"`
	// Rigid spending (刚性支出) the monitoring rules weigh against income;
	// it is not part of Net.
	MedicalCosts   int64 `json:"medical_costs"`   // 医疗支出
	SchoolingCosts int64 `json:"schooling_costs"` // 教育支出
	DisasterLosses int64 `json:"disaster_losses"` // 灾害损失
}

// Cadre is a helping cadre (帮扶责任人).
type Cadre struct {
	ID        int64  `json:"id"`
	County    string `json:"county"`
	Name      string `json:"name"`
	Unit      string `json:"unit"`
	UnitLevel string `json:"unit_level"` // 省直/市直/县直/乡镇/村级
	Post      string `json:"post"`
	Phone     string `json:"phone"`
	Area      string `json:"area"` // division the cadre works in
	Username  string `json:"username"`
	Version   int    `json:"version"`
	// Households is the number of current pairings, filled by list queries.
	Households int `json:"households"`
}

// Pairing links a cadre to a household (结对帮扶) from Start to End; a
// change of cadre ends one pairing and starts another, so history stays.
type Pairing struct {
	ID          int64  `json:"id"`
	County      string `json:"county"`
	CadreID     int64  `json:"cadre_id"`
	HouseholdID int64  `json:"household_id"`
	Start       string `json:"start_date"`
	End         string `json:"end_date"`
	Reason      string `json:"reason"`
	CadreName   string `json:"cadre_name,omitempty"`
}

// Change is one entry of a record's history: who changed what, when, and
// the record before and after as JSON.
type Change struct {
	ID          int64  `json:"id"`
	Entity      string `json:"entity"`
	EntityID    int64  `json:"entity_id"`
	HouseholdID int64  `json:"household_id"`
	Action      string `json:"action"`
	Actor       string `json:"actor"`
	At          string `json:"at"`
	Before      string `json:"before"`
	After       string `json:"after"`
}

// Size limits for free text fields.
const (
	maxName = 50
	maxText = 200
)

var (
	householdNumber = regexp.MustCompile(`^[0-9A-Za-z-]{1,32}$`)
	phonePattern    = regexp.MustCompile(`^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$`)
	bankPattern     = regexp.MustCompile(`^[0-9]{12,30}$`)
)

// Checker validates records; Now bounds birth dates and years.
type Checker struct {
	Divisions *division.Table
	Now       time.Time
}

func bad(field, value, key string, kv ...string) fault.FieldError {
	return fault.FieldError{Field: field, Value: value, Reason: i18n.M(key, kv...)}
}

func (c Checker) enum(errs *[]fault.FieldError, field, list, value string, required bool) {
	if value == "" {
		if required {
			*errs = append(*errs, bad(field, value, "reason.required"))
		}
		return
	}
	if !InList(list, value) {
		*errs = append(*errs, bad(field, value, "reason.enum"))
	}
}

func rangeInt(errs *[]fault.FieldError, field string, v, lo, hi int) {
	if v < lo || v > hi {
		*errs = append(*errs, bad(field, strconv.Itoa(v), "reason.range", "min", strconv.Itoa(lo), "max", strconv.Itoa(hi)))
	}
}

func rangeFloat(errs *[]fault.FieldError, field string, v, lo, hi float64) {
	if v < lo || v > hi {
		*errs = append(*errs, bad(field, strconv.FormatFloat(v, 'f', -1, 64), "reason.range",
			"min", strconv.FormatFloat(lo, 'f', -1, 64), "max", strconv.FormatFloat(hi, 'f', -1, 64)))
	}
}

func text(errs *[]fault.FieldError, field, v string, required bool, max int) {
	if v == "" && required {
		*errs = append(*errs, bad(field, v, "reason.required"))
	}
	if len([]rune(v)) > max {
		*errs = append(*errs, bad(field, v, "reason.too_long", "max", strconv.Itoa(max)))
	}
}

// Household checks the household's own fields (not its members). It fills
// County from the village code.
func (c Checker) Household(h *Household) []fault.FieldError {
	var errs []fault.FieldError
	if !householdNumber.MatchString(h.Number) {
		if h.Number == "" {
			errs = append(errs, bad("number", h.Number, "reason.required"))
		} else {
			errs = append(errs, bad("number", h.Number, "reason.household_number"))
		}
	}
	if d, ok := c.Divisions.Get(h.VillageCode); !ok || d.Level != division.Village {
		if h.VillageCode == "" {
			errs = append(errs, bad("village_code", h.VillageCode, "reason.required"))
		} else {
			errs = append(errs, bad("village_code", h.VillageCode, "reason.division_unknown"))
		}
	} else {
		h.County = division.CountyOf(h.VillageCode)
	}
	text(&errs, "group", h.Group, false, maxName)
	text(&errs, "head_name", h.HeadName, true, maxName)
	if h.Phone != "" && !phonePattern.MatchString(h.Phone) {
		errs = append(errs, bad("phone", h.Phone, "reason.phone"))
	}
	if h.BankAccount != "" && !bankPattern.MatchString(h.BankAccount) {
		errs = append(errs, bad("bank_account", h.BankAccount, "reason.bank"))
	}
	c.enum(&errs, "standard", "standard", h.Standard, true)
	c.enum(&errs, "attribute", "attribute", h.Attribute, true)
	c.enum(&errs, "main_cause", "cause", h.MainCause, true)
	if len(h.OtherCauses) > 2 {
		errs = append(errs, bad("other_causes", "", "reason.other_causes_max"))
	}
	for _, oc := range h.OtherCauses {
		c.enum(&errs, "other_causes", "cause", oc, true)
		if oc == h.MainCause {
			errs = append(errs, bad("other_causes", oc, "reason.cause_repeats_main"))
		}
	}
	c.enum(&errs, "status", "status", h.Status, true)
	year := c.Now.Year()
	rangeInt(&errs, "identified_year", h.IdentifiedYear, 2013, year)
	if h.ExitYear != 0 {
		rangeInt(&errs, "exit_year", h.ExitYear, 2014, year)
		if h.ExitYear < h.IdentifiedYear {
			errs = append(errs, bad("exit_year", strconv.Itoa(h.ExitYear), "reason.exit_before_identified"))
		}
	}
	if (h.Status == "exited") && h.ExitYear == 0 {
		errs = append(errs, bad("exit_year", "", "reason.exit_year_required"))
	}
	rangeFloat(&errs, "housing_area", h.HousingArea, 0, 2000)
	c.enum(&errs, "housing_structure", "structure", h.HousingStructure, false)
	if h.HousingYear != 0 {
		rangeInt(&errs, "housing_year", h.HousingYear, 1900, year)
	}
	c.enum(&errs, "housing_grade", "grade", h.HousingGrade, true)
	if h.Relocation == "" {
		h.Relocation = "none"
	}
	c.enum(&errs, "relocation", "relocation", h.Relocation, true)
	c.enum(&errs, "water_source", "water_source", h.WaterSource, true)
	rangeInt(&errs, "water_litres", h.WaterLitres, 0, 1000)
	c.enum(&errs, "water_quality", "water_quality", h.WaterQuality, false)
	rangeInt(&errs, "water_minutes", h.WaterMinutes, 0, 600)
	rangeInt(&errs, "water_outage_days", h.WaterOutageDays, 0, 366)
	c.enum(&errs, "cooking_fuel", "fuel", h.CookingFuel, false)
	rangeFloat(&errs, "land_mu", h.LandMu, 0, 10000)
	rangeInt(&errs, "assets", h.Assets, 0, 8)
	rangeInt(&errs, "child_deaths", h.ChildDeaths, 0, 20)
	for i := range h.Incomes {
		errs = append(errs, c.Income(&h.Incomes[i])...)
	}
	return errs
}

// Income checks one year's income; a missing net income is computed from
// its parts, a given one must match them.
func (c Checker) Income(in *Income) []fault.FieldError {
	var errs []fault.FieldError
	rangeInt(&errs, "income_year", in.Year, 2013, c.Now.Year())
	const maxMoney = 100_000_000_00 // a hundred million yuan, in fen
	for _, p := range []struct {
		field string
		v     int64
	}{{"wages", in.Wages}, {"business", in.Business}, {"transfers", in.Transfers}, {"property", in.Property}, {"costs", in.Costs},
		{"medical_costs", in.MedicalCosts}, {"schooling_costs", in.SchoolingCosts}, {"disaster_losses", in.DisasterLosses}} {
		if p.v < 0 || p.v > maxMoney {
			errs = append(errs, bad(p.field, FormatYuan(p.v), "reason.range", "min", "0", "max", "100000000"))
		}
	}
	sum := in.Wages + in.Business + in.Transfers + in.Property - in.Costs
	if in.Net == 0 {
		in.Net = sum
	} else if in.Net != sum {
		errs = append(errs, bad("net_income", FormatYuan(in.Net), "reason.net_mismatch", "sum", FormatYuan(sum)))
	}
	return errs
}

// Member checks a member; it fills BirthDate from the ID number and
// upper-cases the check character.
func (c Checker) Member(m *Member) []fault.FieldError {
	var errs []fault.FieldError
	text(&errs, "name", m.Name, true, maxName)
	c.enum(&errs, "sex", "sex", m.Sex, true)
	n, p := idcard.Parse(m.IDNumber, c.Now)
	if p != idcard.OK {
		errs = append(errs, bad("id_number", m.IDNumber, "id."+string(p)))
	} else {
		m.IDNumber = n.Text
		m.BirthDate = n.Birth.Format("2006-01-02")
		if m.Sex != "" && InList("sex", m.Sex) && n.CheckSex(m.Sex == "M") != idcard.OK {
			errs = append(errs, bad("sex", m.Sex, "id.sex_mismatch"))
		}
		if _, ok := c.Divisions.Get(n.Address[:2]); !ok {
			errs = append(errs, bad("id_number", m.IDNumber, "id.area_unknown"))
		}
	}
	text(&errs, "disability_cert", m.DisabilityCert, false, 30)
	c.enum(&errs, "relation", "relation", m.Relation, true)
	text(&errs, "ethnicity", m.Ethnicity, false, 20)
	c.enum(&errs, "education", "education", m.Education, false)
	c.enum(&errs, "student_status", "student", m.StudentStatus, false)
	c.enum(&errs, "health", "health", m.Health, true)
	c.enum(&errs, "labour", "labour", m.Labour, true)
	rangeInt(&errs, "migrant_months", m.MigrantMonths, 0, 12)
	return errs
}

// FormatYuan renders fen as yuan with two decimals.
func FormatYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + strconv.FormatInt(fen/100, 10) + "." + strconv.FormatInt(100+fen%100, 10)[1:]
}

// MaskPhone shows the first three and last four digits of a phone number.
func MaskPhone(s string) string {
	if len(s) < 8 {
		return "****"
	}
	return s[:3] + "****" + s[len(s)-4:]
}

// MaskBank shows only the last four digits of a bank account.
func MaskBank(s string) string {
	if len(s) < 4 {
		return "****"
	}
	return "****" + s[len(s)-4:]
}

// Mask hides personal data on a household for roles that may not see it.
func (h *Household) Mask() {
	if h.Phone != "" {
		h.Phone = MaskPhone(h.Phone)
	}
	if h.BankAccount != "" {
		h.BankAccount = MaskBank(h.BankAccount)
	}
	for i := range h.Members {
		h.Members[i].Mask()
	}
}

// Mask hides a member's ID number and disability certificate.
func (m *Member) Mask() {
	m.IDNumber = idcard.Mask(m.IDNumber)
	if m.DisabilityCert != "" {
		m.DisabilityCert = idcard.Mask(m.DisabilityCert)
	}
}
