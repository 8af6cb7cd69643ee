package importer

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"tuopin/internal/i18n"
	"tuopin/internal/registry"
)

// Row renders household h's member i as roster cells in Columns order,
// with Chinese labels for codes: the inverse of what Import reads. The
// household's details and its latest income go on the head's row only.
func Row(h *registry.Household, i int) []string {
	m := h.Members[i]
	out := make([]string, len(Columns))
	var in registry.Income
	if n := len(h.Incomes); n > 0 {
		in = h.Incomes[n-1]
	}
	yn := func(b bool) string {
		if b {
			return "是"
		}
		return "否"
	}
	label := func(list, code string) string {
		if code == "" {
			return ""
		}
		return i18n.T(i18n.ZH, "code."+list+"."+code)
	}
	for ci, c := range Columns {
		if c.Level != MemberLevel && i > 0 && c.Field != "number" {
			continue
		}
		var v string
		switch c.Field {
		case "number":
			v = h.Number
		case "village_code":
			v = h.VillageCode
		case "group":
			v = h.Group
		case "head_name":
			v = h.HeadName
		case "phone":
			v = h.Phone
		case "bank_account":
			v = h.BankAccount
		case "standard", "attribute", "status", "housing_structure", "relocation", "water_source", "water_quality":
			v = label(c.List, map[string]string{"standard": h.Standard, "attribute": h.Attribute, "status": h.Status,
				"housing_structure": h.HousingStructure, "relocation": h.Relocation, "water_source": h.WaterSource, "water_quality": h.WaterQuality}[c.Field])
		case "main_cause":
			v = label("cause", h.MainCause)
		case "other_causes":
			var parts []string
			for _, oc := range h.OtherCauses {
				parts = append(parts, label("cause", oc))
			}
			v = strings.Join(parts, "、")
		case "identified_year":
			v = strconv.Itoa(h.IdentifiedYear)
		case "exit_year":
			if h.ExitYear != 0 {
				v = strconv.Itoa(h.ExitYear)
			}
		case "food_secure":
			v = yn(h.FoodSecure)
		case "clothing_secure":
			v = yn(h.ClothingSecure)
		case "housing_area":
			v = strconv.FormatFloat(h.HousingArea, 'f', -1, 64)
		case "housing_year":
			if h.HousingYear != 0 {
				v = strconv.Itoa(h.HousingYear)
			}
		case "housing_grade":
			v = h.HousingGrade
		case "water_litres":
			v = strconv.Itoa(h.WaterLitres)
		case "water_minutes":
			v = strconv.Itoa(h.WaterMinutes)
		case "water_outage_days":
			v = strconv.Itoa(h.WaterOutageDays)
		case "electricity":
			v = yn(h.Electricity)
		case "cooking_fuel":
			v = label("fuel", h.CookingFuel)
		case "land_mu":
			v = strconv.FormatFloat(h.LandMu, 'f', -1, 64)
		case "has_car":
			v = yn(h.HasCar)
		case "has_town_house":
			v = yn(h.HasTownHouse)
		case "has_business":
			v = yn(h.HasBusiness)
		case "improved_sanitation":
			v = yn(h.ImprovedSanitation)
		case "assets":
			v = strconv.Itoa(h.Assets)
		case "child_deaths":
			v = strconv.Itoa(h.ChildDeaths)
		case "income_year":
			if in.Year != 0 {
				v = strconv.Itoa(in.Year)
			}
		case "wages", "business", "transfers", "property", "costs", "net_income", "medical_costs", "schooling_costs", "disaster_losses":
			if in.Year != 0 {
				v = registry.FormatYuan(map[string]int64{"wages": in.Wages, "business": in.Business, "transfers": in.Transfers,
					"property": in.Property, "costs": in.Costs, "net_income": in.Net, "medical_costs": in.MedicalCosts,
					"schooling_costs": in.SchoolingCosts, "disaster_losses": in.DisasterLosses}[c.Field])
			}
		case "name":
			v = m.Name
		case "sex":
			v = label("sex", m.Sex)
		case "id_number":
			v = m.IDNumber
		case "disability_cert":
			v = m.DisabilityCert
		case "relation":
			v = label("relation", m.Relation)
		case "ethnicity":
			v = m.Ethnicity
		case "education":
			v = label("education", m.Education)
		case "student_status":
			v = label("student", m.StudentStatus)
		case "health":
			v = label("health", m.Health)
		case "labour":
			v = label("labour", m.Labour)
		case "migrant_months":
			v = strconv.Itoa(m.MigrantMonths)
		case "dibao":
			v = yn(m.Dibao)
		case "medical_insurance":
			v = yn(m.MedicalInsurance)
		case "critical_insurance":
			v = yn(m.CriticalInsurance)
		case "pension_insurance":
			v = yn(m.PensionInsurance)
		case "civil_servant":
			v = yn(m.CivilServant)
		case "deceased":
			v = yn(m.Deceased)
		case "undernourished":
			v = yn(m.Undernourished)
		}
		out[ci] = v
	}
	return out
}

// Headers returns the Chinese header row.
func Headers() []string {
	out := make([]string, len(Columns))
	for i, c := range Columns {
		out[i] = c.Header()
	}
	return out
}

// CSVWriter writes households as a roster CSV.
type CSVWriter struct{ w *csv.Writer }

// NewCSVWriter writes the header row to w.
func NewCSVWriter(w io.Writer) (*CSVWriter, error) {
	cw := csv.NewWriter(w)
	return &CSVWriter{w: cw}, cw.Write(Headers())
}

// Write writes one household, a row per member.
func (c *CSVWriter) Write(h *registry.Household) error {
	for i := range h.Members {
		if err := c.w.Write(Row(h, i)); err != nil {
			return err
		}
	}
	return nil
}

// Close flushes.
func (c *CSVWriter) Close() error {
	c.w.Flush()
	return c.w.Error()
}

// XLSXWriter writes households as a roster workbook, streaming, with the
// ID and code columns as text cells.
type XLSXWriter struct {
	f   *excelize.File
	sw  *excelize.StreamWriter
	row int
}

// NewXLSXWriter starts a workbook with the header row.
func NewXLSXWriter() (*XLSXWriter, error) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return nil, err
	}
	x := &XLSXWriter{f: f, sw: sw}
	return x, x.writeRow(Headers())
}

func (x *XLSXWriter) writeRow(cells []string) error {
	x.row++
	vals := make([]any, len(cells))
	for i, v := range cells {
		vals[i] = v
	}
	name, _ := excelize.CoordinatesToCellName(1, x.row)
	return x.sw.SetRow(name, vals)
}

// Write writes one household.
func (x *XLSXWriter) Write(h *registry.Household) error {
	for i := range h.Members {
		if err := x.writeRow(Row(h, i)); err != nil {
			return err
		}
	}
	return nil
}

// SaveAs finishes the workbook into path.
func (x *XLSXWriter) SaveAs(path string) error {
	if err := x.sw.Flush(); err != nil {
		return err
	}
	defer x.f.Close()
	return x.f.SaveAs(path)
}
