package metrics

import "github.com/prometheus/client_golang/prometheus"

// Actions after filing (on_filed): tries by kind (command, webhook) and
// result (ok, retry, failed: given up).
var Actions = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "classifyd_actions_total", Help: "Tries of actions after filing (on_filed), by kind (command, webhook) and result (ok, retry, failed: given up)."}, []string{"kind", "result"})

func init() { Registry.MustRegister(Actions) }
