// Package importer reads household rosters from .xlsx and .csv files (UTF-8
// or GBK, as county offices export them), checks every cell, and writes
// them all or not at all: a file with any error writes nothing and yields
// a report naming the row, the column and the reason in Chinese and
// English. Households are matched by household number (户编号), so
// importing the same file again changes nothing.
package importer

import (
	"strings"

	"tuopin/internal/i18n"
	"tuopin/internal/registry"
)

// Level says which record a column belongs to.
type Level int

// Levels.
const (
	HouseholdLevel Level = iota
	IncomeLevel
	MemberLevel
)

// Kind is how a cell is parsed.
type Kind int

// Kinds of cells.
const (
	Text Kind = iota
	Int
	Decimal
	Money
	Bool
	Enum
	EnumList
	IDNumber
)

// Column is one column of the roster file. Field is the registry field
// name; its header is the catalogue text of "field."+Field.
type Column struct {
	Field    string
	Level    Level
	Kind     Kind
	List     string // code list for Enum and EnumList
	Required bool   // the column must exist and the cell must not be empty
	Default  string // used when the cell is empty
	Example  string // shown in the template's example row
}

// Columns is the roster layout: one row per member, with the household's
// details on the head's row (other rows may repeat them or leave them
// empty).
var Columns = []Column{
	{Field: "number", Level: HouseholdLevel, Kind: Text, Required: true, Example: "5306270010010001"},
	{Field: "village_code", Level: HouseholdLevel, Kind: Text, Required: true, Example: "530627001001"},
	{Field: "group", Level: HouseholdLevel, Kind: Text, Example: "3组"},
	{Field: "head_name", Level: HouseholdLevel, Kind: Text, Required: true, Example: "王国华"},
	{Field: "phone", Level: HouseholdLevel, Kind: Text, Example: "13800000000"},
	{Field: "bank_account", Level: HouseholdLevel, Kind: Text, Example: "6217000000000000000"},
	{Field: "standard", Level: HouseholdLevel, Kind: Enum, List: "standard", Required: true, Example: "国家标准"},
	{Field: "attribute", Level: HouseholdLevel, Kind: Enum, List: "attribute", Required: true, Example: "一般贫困户"},
	{Field: "main_cause", Level: HouseholdLevel, Kind: Enum, List: "cause", Required: true, Example: "因病"},
	{Field: "other_causes", Level: HouseholdLevel, Kind: EnumList, List: "cause", Example: "缺技术、缺资金"},
	{Field: "status", Level: HouseholdLevel, Kind: Enum, List: "status", Required: true, Example: "已脱贫"},
	{Field: "identified_year", Level: HouseholdLevel, Kind: Int, Required: true, Example: "2014"},
	{Field: "exit_year", Level: HouseholdLevel, Kind: Int, Example: "2019"},
	{Field: "food_secure", Level: HouseholdLevel, Kind: Bool, Default: "是", Example: "是"},
	{Field: "clothing_secure", Level: HouseholdLevel, Kind: Bool, Default: "是", Example: "是"},
	{Field: "housing_area", Level: HouseholdLevel, Kind: Decimal, Example: "96.5"},
	{Field: "housing_structure", Level: HouseholdLevel, Kind: Enum, List: "structure", Example: "砖混"},
	{Field: "housing_year", Level: HouseholdLevel, Kind: Int, Example: "2018"},
	{Field: "housing_grade", Level: HouseholdLevel, Kind: Enum, List: "grade", Required: true, Example: "B"},
	{Field: "relocation", Level: HouseholdLevel, Kind: Enum, List: "relocation", Default: "none", Example: "未搬迁"},
	{Field: "water_source", Level: HouseholdLevel, Kind: Enum, List: "water_source", Required: true, Example: "自来水"},
	{Field: "water_litres", Level: HouseholdLevel, Kind: Int, Example: "60"},
	{Field: "water_quality", Level: HouseholdLevel, Kind: Enum, List: "water_quality", Example: "检测合格"},
	{Field: "water_minutes", Level: HouseholdLevel, Kind: Int, Example: "0"},
	{Field: "water_outage_days", Level: HouseholdLevel, Kind: Int, Example: "5"},
	{Field: "electricity", Level: HouseholdLevel, Kind: Bool, Default: "是", Example: "是"},
	{Field: "cooking_fuel", Level: HouseholdLevel, Kind: Enum, List: "fuel", Example: "电"},
	{Field: "land_mu", Level: HouseholdLevel, Kind: Decimal, Example: "3.5"},
	{Field: "has_car", Level: HouseholdLevel, Kind: Bool, Default: "否", Example: "否"},
	{Field: "has_town_house", Level: HouseholdLevel, Kind: Bool, Default: "否", Example: "否"},
	{Field: "has_business", Level: HouseholdLevel, Kind: Bool, Default: "否", Example: "否"},
	{Field: "improved_sanitation", Level: HouseholdLevel, Kind: Bool, Default: "是", Example: "是"},
	{Field: "assets", Level: HouseholdLevel, Kind: Int, Example: "3"},
	{Field: "child_deaths", Level: HouseholdLevel, Kind: Int, Example: "0"},
	{Field: "income_year", Level: IncomeLevel, Kind: Int, Example: "2025"},
	{Field: "wages", Level: IncomeLevel, Kind: Money, Example: "30000"},
	{Field: "business", Level: IncomeLevel, Kind: Money, Example: "8000"},
	{Field: "transfers", Level: IncomeLevel, Kind: Money, Example: "3000"},
	{Field: "property", Level: IncomeLevel, Kind: Money, Example: "0"},
	{Field: "costs", Level: IncomeLevel, Kind: Money, Example: "2000"},
	{Field: "net_income", Level: IncomeLevel, Kind: Money, Example: "39000"},
	{Field: "medical_costs", Level: IncomeLevel, Kind: Money, Example: "1200"},
	{Field: "schooling_costs", Level: IncomeLevel, Kind: Money, Example: "800"},
	{Field: "disaster_losses", Level: IncomeLevel, Kind: Money, Example: "0"},
	{Field: "name", Level: MemberLevel, Kind: Text, Required: true, Example: "王国华"},
	{Field: "sex", Level: MemberLevel, Kind: Enum, List: "sex", Required: true, Example: "男"},
	{Field: "id_number", Level: MemberLevel, Kind: IDNumber, Required: true, Example: "530627198503071239"},
	{Field: "disability_cert", Level: MemberLevel, Kind: Text},
	{Field: "relation", Level: MemberLevel, Kind: Enum, List: "relation", Required: true, Example: "户主"},
	{Field: "ethnicity", Level: MemberLevel, Kind: Text, Example: "汉族"},
	{Field: "education", Level: MemberLevel, Kind: Enum, List: "education", Example: "初中"},
	{Field: "student_status", Level: MemberLevel, Kind: Enum, List: "student", Example: "非在校生"},
	{Field: "health", Level: MemberLevel, Kind: Enum, List: "health", Required: true, Example: "健康"},
	{Field: "labour", Level: MemberLevel, Kind: Enum, List: "labour", Required: true, Example: "普通劳动力"},
	{Field: "migrant_months", Level: MemberLevel, Kind: Int, Example: "6"},
	{Field: "dibao", Level: MemberLevel, Kind: Bool, Default: "否", Example: "否"},
	{Field: "medical_insurance", Level: MemberLevel, Kind: Bool, Default: "否", Example: "是"},
	{Field: "critical_insurance", Level: MemberLevel, Kind: Bool, Default: "否", Example: "是"},
	{Field: "pension_insurance", Level: MemberLevel, Kind: Bool, Default: "否", Example: "是"},
	{Field: "civil_servant", Level: MemberLevel, Kind: Bool, Default: "否", Example: "否"},
	{Field: "deceased", Level: MemberLevel, Kind: Bool, Default: "否", Example: "否"},
	{Field: "undernourished", Level: MemberLevel, Kind: Bool, Default: "否", Example: "否"},
}

// Header is the Chinese header of a column, as the template writes it.
func (c Column) Header() string { return i18n.T(i18n.ZH, "field."+c.Field) }

// enumCodes maps, per code list, every accepted spelling (code, Chinese
// label, English label) to the code. Built once: the per-cell lookup is a
// map access.
var enumCodes = func() map[string]map[string]string {
	out := map[string]map[string]string{}
	for list, codes := range registry.Lists {
		m := map[string]string{}
		for _, c := range codes {
			m[normEnum(c)] = c
			for _, lang := range []string{i18n.ZH, i18n.EN} {
				if t := i18n.T(lang, "code."+list+"."+c); t != "code."+list+"."+c {
					m[normEnum(t)] = c
				}
			}
		}
		out[list] = m
	}
	// Spellings county exports use besides the catalogue's labels.
	extra := map[string]map[string]string{
		"standard":     {"国家": "national", "省定": "province", "市定": "city"},
		"water_source": {"集中供水": "tap", "自来水(集中供水)": "tap", "水窖": "rainwater", "井水": "protected_well"},
		"relation":     {"本人": "head", "子": "son", "女": "daughter", "儿媳": "daughter_in_law", "女婿": "son_in_law", "孙子": "grandson", "孙女": "granddaughter", "父亲": "father", "母亲": "mother"},
		"grade":        {"a": "A", "b": "B", "c": "C", "d": "D"},
		"education":    {"文盲": "none", "半文盲": "none"},
		"health":       {"大病": "serious", "慢性病": "chronic"},
	}
	for list, m := range extra {
		for k, v := range m {
			out[list][normEnum(k)] = v
		}
	}
	return out
}()

// enumFolder folds full-width brackets and drops spaces; built once, as
// building a Replacer costs far more than using it.
var enumFolder = strings.NewReplacer("\uff08", "(", "\uff09", ")", " ", "")

// isPlain reports whether s has nothing enumFolder would change, so most
// cells skip it.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == 0xef { // 0xef leads the full-width brackets
			return false
		}
	}
	return true
}

func normEnum(s string) string {
	s = strings.TrimSpace(s)
	if isPlain(s) {
		return strings.ToLower(s)
	}
	s = enumFolder.Replace(s)
	return strings.ToLower(s)
}

// headerIndex maps every accepted header spelling to its column.
var headerIndex = func() map[string]int {
	m := map[string]int{}
	for i, c := range Columns {
		m[normHeader(c.Field)] = i
		m[normHeader(i18n.T(i18n.ZH, "field."+c.Field))] = i
		m[normHeader(i18n.T(i18n.EN, "field."+c.Field))] = i
	}
	// Common variants in county exports.
	for k, v := range map[string]string{
		"身份证号": "id_number", "身份证号码": "id_number", "公民身份号码": "id_number", "证件号码": "id_number",
		"户主": "head_name", "电话": "phone", "手机号码": "phone", "村代码": "village_code", "行政区划代码": "village_code",
		"住房等级": "housing_grade", "危房等级": "housing_grade", "是否享受低保": "dibao",
	} {
		for i, c := range Columns {
			if c.Field == v {
				m[normHeader(k)] = i
			}
		}
	}
	return m
}()

var headerFolder = strings.NewReplacer("\uff08", "(", "\uff09", ")", " ", "", "\u3000", "")

func normHeader(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "\ufeff")
	s = strings.TrimPrefix(s, "*")
	s = strings.TrimSuffix(s, "*")
	s = headerFolder.Replace(s)
	return strings.ToLower(s)
}

func registryList(list string) []string { return registry.Lists[list] }
