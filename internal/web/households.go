package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"tuopin/internal/assess"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

type householdsData struct {
	Q, Area, AreaName, Status string
	Attribute, Cause          string
	Shortfalls, Monitored     bool
	Statuses, Attributes      []string
	Causes                    []string
	Items                     []registry.Household
	Total, Page, Pages        int
	PrevURL, NextURL          string
	Children                  []crumb
}

// households lists the households of an area with filters, breadcrumbs
// and drill-down by division.
func (h *Handler) households(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	area := q.Get("area")
	if area == "" {
		area = v.p.Area
	}
	if !v.p.InScope(area) {
		h.fail(w, r, v, fault.New(fault.NotFound, "error.not_found"))
		return
	}
	pg, _ := strconv.Atoi(q.Get("page"))
	pg = max(pg, 1)
	const size = 50
	hf := householdFilter(q)
	hf.Area, hf.Page, hf.PageSize = area, pg, size
	items, total, err := h.Store.ListHouseholds(r.Context(), v.p, hf)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	tab := h.Store.Divisions()
	d := householdsData{Q: hf.Q, Area: area, Status: hf.Status, Attribute: hf.Attribute, Cause: hf.Cause, Shortfalls: hf.Shortfalls, Monitored: hf.Monitored,
		Statuses: registry.Lists["status"], Attributes: registry.Lists["attribute"], Causes: registry.Lists["cause"], Items: items, Total: total, Page: pg,
		Pages: (total + size - 1) / size}
	if a, ok := tab.Get(area); ok {
		d.AreaName = a.Name
	}
	for _, c := range tab.Children(area) {
		d.Children = append(d.Children, crumb{Code: c.Code, Name: c.Name, URL: "/households?area=" + c.Code})
	}
	link := func(n int) string {
		x := url.Values{}
		for k, vs := range q {
			x[k] = vs
		}
		x.Set("area", area)
		x.Set("page", strconv.Itoa(n))
		return "/households?" + x.Encode()
	}
	if pg > 1 {
		d.PrevURL = link(pg - 1)
	}
	if pg < d.Pages {
		d.NextURL = link(pg + 1)
	}
	pgv := v.page(v.t("ui.menu.households"), "households", d)
	pgv.Crumbs = h.crumbs(v.p, area, "/households?area=")
	h.render(w, r, http.StatusOK, "households.html", pgv)
}

type householdData struct {
	H         registry.Household
	Ex        *assess.Explanation
	Items     []registry.Shortfall
	Visits    []registry.Visit
	Pairings  []registry.Pairing
	Cases     []registry.Case
	History   []historyRow
	Measures  []string
	Today     string
	CanVisit  bool
	Personal  bool // the role may see health data
	CanSurvey bool // the role may make the household's survey link
}

// loadHousehold reads what the household page and the card show.
func (h *Handler) loadHousehold(r *http.Request, v *view) (*householdData, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, fault.New(fault.NotFound, "error.not_found")
	}
	ctx := r.Context()
	d := &householdData{Today: h.Store.Now().Format("2006-01-02"), CanVisit: v.p.CanVisit(), Personal: v.p.SeesPersonal(), CanSurvey: v.p.CanVerify()}
	if d.H, err = h.Store.GetHousehold(ctx, v.p, id); err != nil {
		return nil, err
	}
	if ex, err := h.Assess.Explain(ctx, v.p, id, ""); err == nil {
		d.Ex = ex
		// The exit standard first: it is what the household is worked on.
		slices.SortStableFunc(d.Ex.Sets, func(a, b assess.SetOutcome) int {
			return map[bool]int{true: 0, false: 1}[a.Kind == policy.KindExit] - map[bool]int{true: 0, false: 1}[b.Kind == policy.KindExit]
		})
	}
	if d.Items, err = h.Store.Shortfalls(ctx, v.p, id); err != nil {
		return nil, err
	}
	if d.Visits, err = h.Store.Visits(ctx, v.p, id); err != nil {
		return nil, err
	}
	if len(d.Visits) > 12 {
		d.Visits = d.Visits[:12]
	}
	if d.Pairings, err = h.Store.Pairings(ctx, v.p, id); err != nil {
		return nil, err
	}
	if d.Cases, err = h.Store.Cases(ctx, v.p, store.CaseFilter{HouseholdID: id}); err != nil {
		return nil, err
	}
	changes, err := h.Store.History(ctx, v.p, id)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		if len(d.History) == 30 {
			break
		}
		d.History = append(d.History, historyRow{At: c.At, Entity: c.Entity, Action: c.Action, Actor: c.Actor, Fields: changedFields(c.Before, c.After, v.p.SeesPersonal())})
	}
	d.Measures = measureCategories()
	return d, nil
}

// household is the household page: members (masked by role), the latest
// assessment with each rule explained, shortfalls with their measures and
// the steps the user may take, visits, pairings and monitoring cases.
func (h *Handler) household(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	d, err := h.loadHousehold(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	pg := v.page(d.H.HeadName, "households", d)
	pg.Crumbs = append(h.crumbs(v.p, d.H.VillageCode, "/households?area="), crumb{Name: d.H.HeadName + " " + d.H.Number})
	switch r.URL.Query().Get("done") {
	case "visit":
		pg.Flash = v.t("ui.visit_saved")
	case "step":
		pg.Flash = v.t("ui.step_saved")
	}
	h.render(w, r, http.StatusOK, "household.html", pg)
}

// card is the household's printable card (明白卡): policies it receives,
// its measures and its cadre's contact, on one A4 page.
func (h *Handler) card(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	d, err := h.loadHousehold(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	type cardData struct {
		*householdData
		Cadre registry.Cadre
	}
	cd := cardData{householdData: d}
	for _, pr := range d.Pairings {
		if pr.End == "" {
			if c, err := h.Store.GetCadre(r.Context(), v.p, pr.CadreID); err == nil {
				cd.Cadre = c
			}
		}
	}
	h.render(w, r, http.StatusOK, "card.html", v.page(v.t("ui.card"), "households", cd))
}

type visitFormData struct {
	H       registry.Household
	Date    string
	Income  registry.Income
	Risks   []string
	Errors  []string
	Grades  []string
	Quality []string
	Student []string
	Health  []string
}

func (h *Handler) visitData(r *http.Request, v *view) (*visitFormData, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, fault.New(fault.NotFound, "error.not_found")
	}
	hh, err := h.Store.GetHousehold(r.Context(), v.p, id)
	if err != nil {
		return nil, err
	}
	d := &visitFormData{H: hh, Date: h.Store.Now().Format("2006-01-02"), Risks: registry.RiskKinds, Grades: registry.Lists["grade"],
		Quality: registry.Lists["water_quality"], Student: registry.Lists["student"], Health: registry.Lists["health"]}
	// The latest income the household has, this year's if any, is the
	// starting point the visitor corrects.
	for _, in := range hh.Incomes {
		if in.Year >= d.Income.Year {
			d.Income = in
		}
	}
	d.Income.Year = h.Store.Now().Year()
	return d, nil
}

// visitForm is the visit form, built for a phone: one column, large
// targets, only what changed is sent.
func (h *Handler) visitForm(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	d, err := h.visitData(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	pg := v.page(v.t("ui.record_visit"), "households", d)
	pg.Crumbs = append(h.crumbs(v.p, d.H.VillageCode, "/households?area="), crumb{Name: d.H.HeadName, URL: "/households/" + strconv.FormatInt(d.H.ID, 10)})
	h.render(w, r, http.StatusOK, "visit.html", pg)
}

// visitSubmit records the visit with what changed, re-assesses the
// household in the same transaction and shows the household page with
// the new findings.
func (h *Handler) visitSubmit(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	d, err := h.visitData(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, v, fault.New(fault.Invalid, "reason.bad_form"))
		return
	}
	f := r.PostForm
	vis := registry.Visit{HouseholdID: d.H.ID, Date: f.Get("date"), Kind: f.Get("kind"), NoProblem: f.Get("no_problem") == "1", Notes: strings.TrimSpace(f.Get("notes"))}
	var errs []string
	bad := func(field string) { errs = append(errs, v.t("field."+field)+": "+v.t("reason.number")) }
	yesNo := func(name string, cur bool) *bool {
		switch f.Get(name) {
		case "yes":
			if !cur {
				b := true
				return &b
			}
		case "no":
			if cur {
				b := false
				return &b
			}
		}
		return nil
	}
	vf := &vis.Facts
	vf.FoodSecure, vf.ClothingSecure = yesNo("food_secure", d.H.FoodSecure), yesNo("clothing_secure", d.H.ClothingSecure)
	if g := f.Get("housing_grade"); g != "" && g != d.H.HousingGrade {
		vf.HousingGrade = &g
	}
	if q := f.Get("water_quality"); q != "" && q != d.H.WaterQuality {
		vf.WaterQuality = &q
	}
	intField := func(name string, cur int) *int {
		s := strings.TrimSpace(f.Get(name))
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			bad(name)
			return nil
		}
		if n == cur {
			return nil
		}
		return &n
	}
	vf.WaterLitres, vf.WaterMinutes = intField("water_litres", d.H.WaterLitres), intField("water_minutes", d.H.WaterMinutes)
	// Income in yuan on the form, fen in the record.
	in := d.Income
	changed := false
	for _, x := range []struct {
		name string
		to   *int64
	}{{"wages", &in.Wages}, {"business", &in.Business}, {"transfers", &in.Transfers}, {"medical_costs", &in.MedicalCosts}} {
		s := strings.TrimSpace(f.Get(x.name))
		if s == "" {
			continue
		}
		y, err := strconv.ParseFloat(s, 64)
		if err != nil {
			bad(x.name)
			continue
		}
		if fen := int64(y*100 + 0.5); fen != *x.to {
			*x.to, changed = fen, true
		}
	}
	if changed {
		in.Net, in.PerCapita = 0, 0 // the store computes them
		vf.Income = &in
	}
	for _, m := range d.H.Members {
		if m.Deceased {
			continue
		}
		prefix := "m" + strconv.FormatInt(m.ID, 10) + "."
		mf := registry.MemberFacts{ID: m.ID}
		if ins := f.Get(prefix+"medical") == "1"; ins != m.MedicalInsurance {
			mf.MedicalInsurance = &ins
		}
		if st := f.Get(prefix + "student"); st != "" && st != m.StudentStatus {
			mf.StudentStatus = &st
		}
		if hl := f.Get(prefix + "health"); hl != "" && hl != m.Health {
			mf.Health = &hl
		}
		if mf.MedicalInsurance != nil || mf.StudentStatus != nil || mf.Health != nil {
			vf.Members = append(vf.Members, mf)
		}
	}
	for _, risk := range f["risks"] {
		if slices.Contains(registry.RiskKinds, risk) {
			vf.Risks = append(vf.Risks, risk)
		}
	}
	if len(errs) == 0 {
		err = h.Assess.RecordVisit(r.Context(), v.p, &vis)
		if err == nil {
			http.Redirect(w, r, "/households/"+strconv.FormatInt(d.H.ID, 10)+"?done=visit#assessment", http.StatusSeeOther)
			return
		}
		e, ok := fault.As(err)
		if !ok || e.Kind != fault.Invalid {
			h.fail(w, r, v, err)
			return
		}
		for _, fe := range e.Fields {
			errs = append(errs, fieldName(v.lang, fe.Field)+" "+fe.Value+": "+fe.Reason.In(v.lang))
		}
	}
	d.Errors, d.Date = errs, vis.Date
	pg := v.page(v.t("ui.record_visit"), "households", d)
	h.render(w, r, http.StatusUnprocessableEntity, "visit.html", pg)
}

// fieldName names a field in the user's language, or shows its path.
func fieldName(lang, field string) string {
	if t := i18n.T(lang, "field."+field); t != "field."+field {
		return t
	}
	return field
}

// householdFilter reads the list's filters from a query or a form; codes
// outside their lists are ignored.
func householdFilter(q url.Values) store.HouseholdFilter {
	f := store.HouseholdFilter{Q: strings.TrimSpace(q.Get("q")), Shortfalls: q.Get("shortfalls") == "1", Monitored: q.Get("monitored") == "1"}
	for _, x := range []struct {
		list string
		to   *string
	}{{"status", &f.Status}, {"attribute", &f.Attribute}, {"cause", &f.Cause}} {
		if c := q.Get(x.list); registry.InList(x.list, c) {
			*x.to = c
		}
	}
	return f
}

// historyRow is one entry of a household's facts history as the page
// shows it: when, what, who, and which fields changed to what.
type historyRow struct {
	At, Entity, Action, Actor string
	Fields                    []string
}

// personalFields are never shown in the history to roles that may not
// see personal data.
var personalFields = map[string]bool{"id_number": true, "phone": true, "bank_account": true, "health": true, "disability_cert": true}

// changedFields lists "field: before → after" for the fields that differ
// between two JSON records.
func changedFields(before, after string, personal bool) []string {
	var b, a map[string]any
	json.Unmarshal([]byte(before), &b)
	json.Unmarshal([]byte(after), &a)
	var out []string
	for k, av := range a {
		if k == "version" || k == "updated_at" || k == "members" || k == "incomes" || (!personal && personalFields[k]) {
			continue
		}
		bv, had := b[k]
		if had && fmt.Sprint(bv) == fmt.Sprint(av) {
			continue
		}
		if !had && before != "" {
			continue
		}
		if before == "" {
			out = append(out, k+": "+fmt.Sprint(av))
		} else {
			out = append(out, k+": "+fmt.Sprint(bv)+" → "+fmt.Sprint(av))
		}
	}
	slices.Sort(out)
	if len(out) > 8 {
		out = append(out[:8], "…")
	}
	return out
}

// measureCategories are the measure categories in a fixed order, for the
// forms' selects.
func measureCategories() []string {
	out := make([]string, 0, len(registry.MeasureCategories))
	for c := range registry.MeasureCategories {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}
