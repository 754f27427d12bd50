package main

import (
	"flag"

	"github.com/classifyd/classifyd/internal/config"
)

// configFlags say which configuration a command works on: --config and the
// path flags that override it (registerPaths: status, undo, retry), plus,
// for the daemon's commands run and once, the backend, dry run and logging
// (register).
type configFlags struct {
	config, inbox, out, state, backend string
	dryRun                             bool
	logFormat, logLevel                string
}

func (p *configFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.config, "config", "", "configuration file (default: built-in defaults with the example rules)")
	fs.StringVar(&p.inbox, "inbox", "", "inbox folder (overrides the config)")
	fs.StringVar(&p.out, "out", "", "output folder (overrides the config)")
	fs.StringVar(&p.state, "state", "", "state file (overrides the config)")
	fs.StringVar(&p.backend, "backend", "", "classify service: local or llamacloud (overrides the config)")
	fs.BoolVar(&p.dryRun, "dry-run", false, "classify and print where each file would go; move nothing")
	fs.StringVar(&p.logFormat, "log-format", "", "log format: text or json (default: text on a terminal, json otherwise)")
	fs.StringVar(&p.logLevel, "log-level", "", "log level: debug, info, warn, error (default $LOG_LEVEL or info)")
}

// load reads the configuration and applies the flags.
func (p *configFlags) load() (*config.Config, error) {
	var cfg *config.Config
	var err error
	if p.config != "" {
		cfg, err = config.Load(p.config)
		if err != nil {
			return nil, err
		}
	} else {
		cfg = config.Default()
	}
	if p.backend != "" {
		cfg.Backend.Kind = p.backend
		cfg.SetByFlag("backend.kind", "--backend")
	}
	if err := cfg.SetPaths(p.inbox, p.out, p.state); err != nil {
		return nil, err
	}
	return cfg, nil
}

// registerPaths registers the flags that say which classifyd to look at:
// --config and the path overrides (status, undo and retry).
func (p *configFlags) registerPaths(fs *flag.FlagSet) {
	fs.StringVar(&p.config, "config", "", "configuration file of the daemon (default: built-in defaults)")
	fs.StringVar(&p.inbox, "inbox", "", "inbox folder (overrides the config)")
	fs.StringVar(&p.out, "out", "", "output folder (overrides the config)")
	fs.StringVar(&p.state, "state", "", "state file (overrides the config)")
}
