package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"tuopin/internal/appraisal"
	"tuopin/internal/fault"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

type accountabilityData struct {
	Status   string
	Statuses []string
	Items    []registry.AccountabilityCase
	Period   string
	Opened   int
}

// accountability lists the accountability cases (追责问责) of the user's
// area, for the discipline inspector and the county office, with a
// button that applies the rules to a month.
func (h *Handler) accountability(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	d := accountabilityData{Status: r.URL.Query().Get("status"), Period: policy.PeriodOf(h.Store.Now()).String(),
		Statuses: []string{registry.AccountabilityOpen, registry.AccountabilityInvestigating, registry.AccountabilityDecided}}
	d.Opened, _ = strconv.Atoi(r.URL.Query().Get("opened"))
	var err error
	if d.Items, err = h.Store.AccountabilityCases(r.Context(), v.p, d.Status); err != nil {
		h.fail(w, r, v, err)
		return
	}
	pg := v.page(v.t("ui.menu.accountability"), "accountability", d)
	if r.URL.Query().Has("opened") {
		pg.Flash = v.t("ui.scan_opened", "n", strconv.Itoa(d.Opened))
	}
	h.render(w, r, http.StatusOK, "accountability.html", pg)
}

// accountabilityScan applies the rules to a month.
func (h *Handler) accountabilityScan(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if r.ParseForm() != nil {
		h.fail(w, r, v, fault.New(fault.Invalid, "reason.bad_form"))
		return
	}
	opened, err := h.Store.ScanAccountability(r.Context(), v.p, r.PostForm.Get("period"))
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/accountability?opened="+strconv.Itoa(len(opened)), http.StatusSeeOther)
}

type accountabilityCaseData struct {
	X            registry.AccountabilityCase
	Decisions    []string
	Distinctions []string
	Outcomes     []string
	CanDecide    bool
}

// accountabilityCase shows a case with its tolerance requests and the
// forms for the next steps.
func (h *Handler) accountabilityCase(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, r, v, fault.New(fault.NotFound, "error.not_found"))
		return
	}
	d := accountabilityCaseData{Decisions: registry.AccountabilityDecisions, Distinctions: registry.ToleranceDistinctions,
		Outcomes: registry.ToleranceOutcomes, CanDecide: v.p.CanDecideTolerance()}
	if d.X, err = h.Store.AccountabilityCase(r.Context(), v.p, id); err != nil {
		h.fail(w, r, v, err)
		return
	}
	pg := v.page(v.t("ui.menu.accountability"), "accountability", d)
	if r.URL.Query().Get("done") == "step" {
		pg.Flash = v.t("ui.step_saved")
	}
	h.render(w, r, http.StatusOK, "accountability_case.html", pg)
}

// accountabilityAction takes a step on a case or on one of its tolerance
// requests, from the case page.
func (h *Handler) accountabilityAction(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || r.ParseForm() != nil {
		h.fail(w, r, v, fault.New(fault.NotFound, "error.not_found"))
		return
	}
	f := r.PostForm
	version, _ := strconv.Atoi(f.Get("version"))
	switch action := f.Get("action"); action {
	case "investigate", "decide":
		_, err = h.Store.ActOnAccountability(r.Context(), v.p, id, store.AccountabilityAction{Action: action, Version: version,
			Findings: strings.TrimSpace(f.Get("findings")), Decision: f.Get("decision"), Evidence: strings.TrimSpace(f.Get("evidence"))})
	default:
		req, _ := strconv.ParseInt(f.Get("request_id"), 10, 64)
		_, err = h.Store.ActOnTolerance(r.Context(), v.p, id, store.ToleranceAction{Action: strings.TrimPrefix(action, "tolerance_"), RequestID: req, Version: version,
			Facts: strings.TrimSpace(f.Get("facts")), Distinction: f.Get("distinction"), DecidingBody: strings.TrimSpace(f.Get("deciding_body")),
			Outcome: f.Get("outcome"), CorrectionPlan: strings.TrimSpace(f.Get("correction_plan"))})
	}
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/accountability/"+strconv.FormatInt(id, 10)+"?done=step", http.StatusSeeOther)
}

type listsData struct {
	Period  string
	Awards  []appraisal.Card
	Lagging []appraisal.Card
}

// scorecardLists are the lists the levers need for a month: nominations
// for awards (评优树先) and cadres not performing (不在状态、不履职责),
// candidates for reassignment.
func (h *Handler) scorecardLists(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	period := h.month(r, -1)
	f, err := h.Store.Formula(r.Context(), "scorecard", 0)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	cards, err := h.Store.Scorecards(r.Context(), v.p, "", period, f)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := listsData{Period: period}
	d.Awards, d.Lagging = appraisal.Lists(cards)
	h.render(w, r, http.StatusOK, "lists.html", v.page(v.t("ui.lists"), "scorecards", d))
}

// scorecardHistory writes a cadre's scorecards of the last twelve months
// as an Excel workbook for the personnel department.
func (h *Handler) scorecardHistory(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, r, v, fault.New(fault.NotFound, "error.not_found"))
		return
	}
	f, err := h.Store.Formula(r.Context(), "scorecard", 0)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	x := excelize.NewFile()
	defer x.Close()
	sheet := x.GetSheetName(0)
	head := []any{v.t("ui.period"), v.t("ui.cadre"), v.t("ui.unit"), v.t("ui.score"), v.t("ui.rank_township"), v.t("ui.rank_unit")}
	for _, m := range appraisal.Metrics {
		head = append(head, v.t("ui.metric."+m))
	}
	x.SetSheetRow(sheet, "A1", &head)
	hist, err := h.Store.ScorecardHistory(r.Context(), v.p, id, 12, f)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	name := ""
	for i, m := range hist {
		c := m.Card
		name = c.Name
		line := []any{m.Period, c.Name, c.Unit, c.Score, c.RankTownship, c.RankUnit}
		for _, mt := range c.Metrics {
			if mt.NoData {
				line = append(line, "—")
			} else {
				line = append(line, strconv.FormatInt(mt.Numerator, 10)+"/"+strconv.FormatInt(mt.Denominator, 10))
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		x.SetSheetRow(sheet, cell, &line)
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape("scorecards-"+name+".xlsx"))
	x.Write(w)
}

type integrityData struct {
	Period string
	Kinds  []string
	S      *store.Signals
}

// integrity is the discipline inspector's page of integrity signals.
func (h *Handler) integrity(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	period := h.month(r, 0)
	sig, err := h.Store.IntegritySignals(r.Context(), v.p, r.URL.Query().Get("area"), period)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, "integrity.html", v.page(v.t("ui.menu.integrity"), "integrity", integrityData{Period: period, Kinds: store.SignalKinds, S: sig}))
}
