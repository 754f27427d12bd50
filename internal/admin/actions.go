package admin

import (
	"time"

	"github.com/classifyd/classifyd/internal/state"
)

// Actions counts the actions after filing (on_filed) in the state's queue.
type Actions struct {
	Pending int             `json:"pending"` // waiting for their first or next try
	Failed  int             `json:"failed"`  // gave up after every try (the files stay filed)
	Last    []ActionFailure `json:"last_failed"`
}

// ActionFailure is an action that failed every try.
type ActionFailure struct {
	ID     string    `json:"id"`
	FileID uint64    `json:"file_id"`
	Action string    `json:"action"` // its place in the config: on_filed[0], rules[2].on_filed[1]
	Event  string    `json:"event"`
	Tries  int       `json:"tries"`
	Error  string    `json:"error"`
	Time   time.Time `json:"time"`
}

func actionsOf(st *state.Store, maxFailures int) (Actions, error) {
	pending, failed, recent, err := st.ActionStats(maxFailures)
	a := Actions{Pending: pending, Failed: failed, Last: []ActionFailure{}}
	for _, r := range recent {
		a.Last = append(a.Last, ActionFailure{ID: r.ID, FileID: r.FileID, Action: r.Where, Event: r.Event, Tries: r.Tries, Error: r.LastError, Time: r.Updated.UTC()})
	}
	return a, err
}
