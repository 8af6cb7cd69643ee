package store

import (
	"context"
	"strings"
	"sync"
)

// memoSize bounds the results kept; the least recently used half goes
// first.
const memoSize = 256

type memoEntry struct {
	stamp string
	value any
	used  int64
}

type memo struct {
	mu      sync.Mutex
	entries map[string]*memoEntry
	tick    int64
}

// Memo returns the value build makes for the key parts, from memory while
// nothing has been written since it was made (WriteStamp is unchanged).
// Reports that read every row of a month (a county's exit report, its
// MPI, its cadres' scorecards) are built once between writes. The caller
// puts the principal's scope in the key; the value must not be changed.
func (s *Store) Memo(ctx context.Context, build func() (any, error), parts ...string) (any, error) {
	stamp, err := s.WriteStamp(ctx)
	if err != nil {
		return nil, err
	}
	key := strings.Join(parts, "\x00")
	m := &s.memo
	m.mu.Lock()
	m.tick++
	if e, ok := m.entries[key]; ok && e.stamp == stamp {
		e.used = m.tick
		m.mu.Unlock()
		return e.value, nil
	}
	m.mu.Unlock()
	v, err := build()
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = map[string]*memoEntry{}
	}
	if len(m.entries) >= memoSize {
		for k, e := range m.entries {
			if e.used < m.tick-memoSize/2 {
				delete(m.entries, k)
			}
		}
	}
	m.entries[key] = &memoEntry{stamp: stamp, value: v, used: m.tick}
	return v, nil
}
