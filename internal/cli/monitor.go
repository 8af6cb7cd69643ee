package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/importer"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

// monitorCmd runs the monitoring (防返贫监测) commands: import a
// department's data file, list cases, print the public notice.
func (e *env) monitorCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "alerts" && args[0] != "list" && args[0] != "notices") {
		return usageError{"monitor alerts FILE.csv | monitor list | monitor notices"}
	}
	fs, db := e.flags("monitor " + args[0])
	area := fs.String("area", "", "division code")
	status := fs.String("status", "", "case status (list)")
	date := fs.String("date", "", "day YYYY-MM-DD (notices; default today)")
	dept := fs.String("department", "", "department for rows without one (alerts)")
	dry := fs.Bool("dry-run", false, "check the file and write nothing (alerts)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, s, err := e.openWith(ctx, fs, db, args[1:])
	if err != nil {
		return err
	}
	defer s.Close()
	who := auth.System("cli")
	var out any
	switch args[0] {
	case "alerts":
		if len(pos) != 1 {
			return usageError{"monitor alerts: give the department's CSV file"}
		}
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		alerts, sha, errs := importer.ReadAlerts(f, *dept)
		rep := registry.AlertReport{File: filepath.Base(pos[0]), SHA256: sha, Errors: errs}
		if len(errs) == 0 {
			if err := s.ImportAlerts(ctx, who, &rep, alerts, *dry); err != nil {
				return err
			}
		}
		if len(rep.Errors) > 0 && !*asJSON {
			return fault.Fields(rep.Errors)
		}
		out = rep
		if !*asJSON {
			fmt.Fprintf(e.out, "%s: %d 行 rows, %d 匹配 matched, %d 新线索 new leads, %d 已有案件 already open%s\n", rep.File, rep.Rows, rep.Matched,
				rep.Opened, rep.AlreadyOpen, map[bool]string{true: " (试运行 dry run)", false: ""}[*dry])
			return nil
		}
	case "list":
		cs, err := s.Cases(ctx, who, store.CaseFilter{Area: *area, Status: *status})
		if err != nil {
			return err
		}
		out = cs
		if !*asJSON {
			for _, c := range cs {
				fmt.Fprintf(e.out, "  %d  %s  %s  %s  %s  %s %s\n", c.ID, c.VillageCode, c.HeadName, i18n.T(e.lang, "code.case_status."+c.Status),
					c.LeadDate, i18n.T(e.lang, "code.case_channel."+c.Channel), c.Overdue)
			}
			fmt.Fprintf(e.out, "监测案件 cases: %d\n", len(cs))
			return nil
		}
	case "notices":
		ns, err := s.Notices(ctx, who, *area, *date)
		if err != nil {
			return err
		}
		out = ns
		if !*asJSON {
			for _, n := range ns {
				fmt.Fprintf(e.out, "  %s %s  %s  %d 人  %s  %s – %s\n", n.VillageName, n.Group, n.HeadName, n.Size,
					i18n.T(e.lang, "code.case_category."+n.Category), n.NoticeStart, n.NoticeEnd)
			}
			fmt.Fprintf(e.out, "公示 notice: %d 户 households\n", len(ns))
			return nil
		}
	}
	enc := json.NewEncoder(e.out)
	enc.SetIndent("", " ")
	return enc.Encode(out)
}
