// Package atomicfile is the one way Jigsaw writes a file a person or another program reads:
// into a temporary file in the same directory, synced, then renamed over the target, so a
// reader sees the old file or the whole new one and never half of it.
//
// github.com/google/renameio does the same but does not build on Windows.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write renders into a temporary file beside path and renames it over path only when
// rendering, syncing and closing succeeded. perm is the new file's mode, set explicitly (no
// umask). On failure path is untouched and no temporary file is
// left behind.
func Write(path string, perm os.FileMode, render func(io.Writer) error) (err error) {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := render(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteBytes writes data to path atomically; see Write.
func WriteBytes(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
