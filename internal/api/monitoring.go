package api

import (
	"net/http"
	"strconv"

	"tuopin/internal/assess"
	"tuopin/internal/auth"
	"tuopin/internal/importer"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

// registerMonitoring adds the routes of monitoring cases (防返贫监测).
func (h *Handler) registerMonitoring(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/monitoring/cases", h.auth(h.openCase))
	mux.Handle("GET /api/v1/monitoring/cases", h.auth(h.listCases))
	mux.Handle("GET /api/v1/monitoring/cases/{id}", h.auth(h.getCase))
	mux.Handle("GET /api/v1/monitoring/cases/{id}/stability", h.auth(h.caseStability))
	mux.Handle("POST /api/v1/monitoring/cases/{id}/actions", h.auth(step(h.assessor().ActOnCase)))
	mux.Handle("POST /api/v1/monitoring/alerts", h.auth(h.importAlerts))
	mux.Handle("GET /api/v1/monitoring/notices", h.auth(h.notices))
}

func (h *Handler) assessor() *assess.Assessor {
	if h.Assess != nil {
		return h.Assess
	}
	return assess.New(h.Store)
}

// openCase records a lead: the household's own report (12317 hotline,
// app) taken by an officer, or a cadre's screening.
func (h *Handler) openCase(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in struct {
		HouseholdID int64    `json:"household_id"`
		Channel     string   `json:"channel"`
		Source      string   `json:"source"`
		Risks       []string `json:"risks"`
		LeadDate    string   `json:"lead_date"`
		Note        string   `json:"note"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	c := registry.Case{HouseholdID: in.HouseholdID, Channel: in.Channel, Source: in.Source, Risks: in.Risks, LeadDate: in.LeadDate}
	if err := h.Store.OpenCase(r.Context(), p, &c, in.Note); err != nil {
		return err
	}
	out, err := h.Store.Case(r.Context(), p, c.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (h *Handler) listCases(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	cs, err := h.Store.Cases(r.Context(), p, store.CaseFilter{Area: q.Get("area"), Status: q.Get("status"), BeforeID: before, Limit: limit})
	if err != nil {
		return err
	}
	return list(w, cs, len(cs))
}

func (h *Handler) getCase(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.Store.Case(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// caseStability shows the six months risk elimination would be judged on.
func (h *Handler) caseStability(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.Store.Case(r.Context(), p, id)
	if err != nil {
		return err
	}
	months, err := h.assessor().Stability(r.Context(), p, c.HouseholdID, policy.PeriodOf(h.Store.Now()))
	if err != nil {
		return err
	}
	return list(w, months, len(months))
}

// importAlerts takes a department's data file as the request body (CSV),
// ?department=NAME for rows without one, and ?dry_run=1 to check only.
// A file with errors answers 422 with the report and writes nothing.
func (h *Handler) importAlerts(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	alerts, sha, errs := importer.ReadAlerts(http.MaxBytesReader(w, r.Body, 32<<20), q.Get("department"))
	rep := registry.AlertReport{File: q.Get("file"), SHA256: sha}
	if rep.File == "" {
		rep.File = "upload"
	}
	if len(errs) > 0 {
		rep.Errors = errs
		writeJSON(w, http.StatusUnprocessableEntity, rep)
		return nil
	}
	dry := q.Get("dry_run") == "1" || q.Get("dry_run") == "true"
	if err := h.Store.ImportAlerts(r.Context(), p, &rep, alerts, dry); err != nil {
		return err
	}
	status := http.StatusOK
	if len(rep.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, rep)
	return nil
}

// notices answers the public notice of an area for ?date= (today when
// empty): no ID, phone, bank or health data.
func (h *Handler) notices(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	ns, err := h.Store.Notices(r.Context(), p, q.Get("area"), q.Get("date"))
	if err != nil {
		return err
	}
	return list(w, ns, len(ns))
}
