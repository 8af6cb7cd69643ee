package store

import (
	"os"
	"time"
)

func fsStat(path string) (os.FileInfo, error) { return os.Stat(path) }

func parseDate(s string) (time.Time, error) { return time.Parse("2006-01-02", s) }
