package web

import (
	"net/http"
	"strconv"
	"strings"

	"tuopin/internal/fault"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

type casesData struct {
	Status   string
	Statuses []string
	Items    []registry.Case
	NextURL  string
}

// cases lists the monitoring cases of the user's area, newest first.
func (h *Handler) cases(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	d := casesData{Status: q.Get("status"), Statuses: []string{registry.CaseLead, registry.CaseChecked, registry.CaseNoticed, registry.CaseTownship,
		registry.CaseMonitored, registry.CaseRejected, registry.CaseEliminated}}
	const size = 100
	items, err := h.Store.Cases(r.Context(), v.p, store.CaseFilter{Area: q.Get("area"), Status: d.Status, BeforeID: before, Limit: size})
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d.Items = items
	if len(items) == size {
		x := q
		x.Set("before", strconv.FormatInt(items[len(items)-1].ID, 10))
		d.NextURL = "/cases?" + x.Encode()
	}
	h.render(w, r, http.StatusOK, "cases.html", v.page(v.t("ui.menu.cases"), "cases", d))
}

type caseData struct {
	C          registry.Case
	Stable     []registry.StableMonth
	Categories []string
	Measures   []string
	Errors     []string
}

// casePage shows a case with its steps, measures, the months risk
// elimination would be judged on, and the form for the next step.
func (h *Handler) casePage(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	d, err := h.caseData(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	pg := v.page(v.t("ui.case"), "cases", d)
	if r.URL.Query().Get("done") == "step" {
		pg.Flash = v.t("ui.step_saved")
	}
	h.render(w, r, http.StatusOK, "case.html", pg)
}

func (h *Handler) caseData(r *http.Request, v *view) (*caseData, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, fault.New(fault.NotFound, "error.not_found")
	}
	d := &caseData{Categories: registry.CaseCategories}
	if d.C, err = h.Store.Case(r.Context(), v.p, id); err != nil {
		return nil, err
	}
	d.Measures = measureCategories()
	if d.C.Status == registry.CaseMonitored {
		if d.Stable, err = h.Assess.Stability(r.Context(), v.p, d.C.HouseholdID, policy.PeriodOf(h.Store.Now())); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// caseAction takes the next step of a case from its page.
func (h *Handler) caseAction(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	d, err := h.caseData(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if r.ParseForm() != nil {
		h.fail(w, r, v, fault.New(fault.Invalid, "reason.bad_form"))
		return
	}
	f := r.PostForm
	version, _ := strconv.Atoi(f.Get("version"))
	days, _ := strconv.Atoi(f.Get("notice_days"))
	a := registry.CaseAction{Action: f.Get("action"), Version: version, Date: f.Get("date"), Outcome: f.Get("outcome"), Consent: f.Get("consent") == "1",
		Category: f.Get("category"), Evidence: strings.TrimSpace(f.Get("evidence")), Note: strings.TrimSpace(f.Get("note")), NoticeDays: days}
	if a.Action == "assist" {
		cost, _ := strconv.ParseFloat(f.Get("cost"), 64)
		a.Measure = &registry.CaseMeasure{Category: f.Get("measure_category"), Description: strings.TrimSpace(f.Get("description")),
			Unit: strings.TrimSpace(f.Get("unit")), Cost: int64(cost*100 + 0.5)}
	}
	if _, err := h.Assess.ActOnCase(r.Context(), v.p, d.C.ID, a); err != nil {
		e, ok := fault.As(err)
		if !ok || e.Kind != fault.Invalid {
			h.fail(w, r, v, err)
			return
		}
		d.Errors = append(d.Errors, e.Msg.In(v.lang))
		for _, fe := range e.Fields {
			d.Errors = append(d.Errors, fieldName(v.lang, fe.Field)+" "+fe.Value+": "+fe.Reason.In(v.lang))
		}
		h.render(w, r, http.StatusUnprocessableEntity, "case.html", v.page(v.t("ui.case"), "cases", d))
		return
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(d.C.ID, 10)+"?done=step", http.StatusSeeOther)
}

// passwordPage and passwordSubmit let users change their own password;
// the current one is checked first.
func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "password.html", v.page(v.t("ui.password"), "", nil))
}

func (h *Handler) passwordSubmit(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if r.ParseForm() != nil {
		h.fail(w, r, v, fault.New(fault.Invalid, "reason.bad_form"))
		return
	}
	f := r.PostForm
	pg := v.page(v.t("ui.password"), "", nil)
	switch {
	case f.Get("new") != f.Get("again"):
		pg.Error = v.t("ui.password_mismatch")
	default:
		if _, _, err := h.Store.Login(r.Context(), v.p.Username, f.Get("current")); err != nil {
			pg.Error = v.t("ui.password_wrong")
		} else if err := h.Store.SetPassword(r.Context(), v.p.Username, f.Get("new")); err != nil {
			if e, ok := fault.As(err); ok {
				pg.Error = e.Msg.In(v.lang)
				for _, fe := range e.Fields {
					pg.Error += " · " + fe.Reason.In(v.lang)
				}
			} else {
				h.fail(w, r, v, err)
				return
			}
		} else {
			pg.Flash = v.t("ui.password_changed")
		}
	}
	status := http.StatusOK
	if pg.Error != "" {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, r, status, "password.html", pg)
}
