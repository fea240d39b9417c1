package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/nhs-jigsaw/jigsaw/checklist"
	"github.com/nhs-jigsaw/jigsaw/probes"
	"github.com/nhs-jigsaw/jigsaw/probes/all"
)

// factory supplies what commands depend on from outside: streams, the checklist catalogue,
// the probe registry, the clock, the environment and the config file. Tests build one with
// their own values and run the command tree without a shell.
type factory struct {
	IO IO
	// Catalog is the checklist catalogue ID[@VERSION] references resolve against.
	Catalog func() *checklist.Registry
	// Registry is the probe registry.
	Registry func() *probes.Registry
	// Now is the clock.
	Now func() time.Time
	// Getenv reads the environment (JIGSAW_* variables bind to flags).
	Getenv func(string) string
	// DefaultConfig is the config file read when neither --config nor JIGSAW_CONFIG names one
	// (it may not exist).
	DefaultConfig string
}

func defaultFactory(streams IO) *factory {
	cfg := ""
	if dir, err := os.UserConfigDir(); err == nil {
		cfg = filepath.Join(dir, "jigsaw", "config.yaml")
	}
	return &factory{
		IO:            streams,
		Catalog:       checklist.Catalog,
		Registry:      all.Registry,
		Now:           time.Now,
		Getenv:        os.Getenv,
		DefaultConfig: cfg,
	}
}
