package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Flag values come from, highest first: the command line, a JIGSAW_* environment variable
// (the flag name in upper case with - as _: --fhir-version is JIGSAW_FHIR_VERSION), the config
// file, the flag's default.
//
// The config file is YAML (--config, else JIGSAW_CONFIG, else jigsaw/config.yaml in the user's
// config directory when it exists). Top-level keys are flag names and apply to every command
// that has the flag; a key naming a command ("assess", "league table") holds flag values for
// that command only and wins over the top level:
//
//	db: inspection.db
//	ca: /etc/jigsaw/trust-ca.pem
//	league table:
//	  db: central.db
//
// Secrets do not belong in a file: a config file setting token is refused (use JIGSAW_TOKEN).

// envName is the environment variable bound to a flag.
func envName(flag string) string {
	return "JIGSAW_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// notFromConfig are flags a config file may not set.
var notFromConfig = []string{"token", "config", "help"}

// applyFlagSources fills the flags of cmd not given on the command line from the environment
// and then the config file.
func applyFlagSources(cmd *cobra.Command, f *factory, configFlag string) error {
	cfg, path, err := loadConfig(f, configFlag)
	if err != nil {
		return err
	}
	section := map[string]any{}
	if cfg != nil {
		name := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
		if m, ok := cfg[name].(map[string]any); ok {
			section = m
		}
	}
	var errs []error
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if fl.Changed || fl.Name == "config" || fl.Name == "help" {
			return
		}
		if v := f.Getenv(envName(fl.Name)); v != "" {
			if err := setFlag(cmd, fl, v); err != nil {
				errs = append(errs, usageErrorf("%s=%q: %v", envName(fl.Name), v, err))
			}
			return
		}
		if cfg == nil {
			return
		}
		v, ok := section[fl.Name]
		if !ok {
			v, ok = cfg[fl.Name]
			if _, isSection := v.(map[string]any); isSection {
				ok = false
			}
		}
		if !ok {
			return
		}
		if slices.Contains(notFromConfig, fl.Name) {
			errs = append(errs, usageErrorf("%s: %q may not be set in a config file: use %s", path, fl.Name, envName(fl.Name)))
			return
		}
		for _, s := range configValues(v) {
			if err := setFlag(cmd, fl, s); err != nil {
				errs = append(errs, usageErrorf("%s: %s: %v", path, fl.Name, err))
				return
			}
		}
	})
	return errors.Join(errs...)
}

// setFlag sets a flag as if it had been given, so checks of Changed see it.
func setFlag(cmd *cobra.Command, fl *pflag.Flag, value string) error {
	return cmd.Flags().Set(fl.Name, value)
}

// configValues turns a YAML value into flag arguments: a list gives one per element (for
// repeatable flags), anything else its text.
func configValues(v any) []string {
	switch t := v.(type) {
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case nil:
		return nil
	default:
		return []string{fmt.Sprint(t)}
	}
}

// loadConfig reads the config file: the one named by --config or JIGSAW_CONFIG (which must
// exist), else the default path when it exists. It returns nil when there is none.
func loadConfig(f *factory, configFlag string) (map[string]any, string, error) {
	path, explicit := configFlag, true
	if path == "" {
		path = f.Getenv("JIGSAW_CONFIG")
	}
	if path == "" {
		path, explicit = f.DefaultConfig, false
	}
	if path == "" {
		return nil, "", nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return nil, "", nil
		}
		return nil, path, usageErrorf("config file: %v", err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return nil, path, usageErrorf("config file %s: %v", path, err)
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	return cfg, path, nil
}
