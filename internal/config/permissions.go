package config

import (
	"fmt"
	"io/fs"
	"os/user"
	"strconv"

	"github.com/classifyd/classifyd/internal/sorter"
)

// Permissions are the modes (octal, "2775") and the group of what the daemon
// creates in the output: folders (type folders, review, unmatched, failed,
// duplicates, and the folders of templates) and filed files. The defaults
// let the group correct filings: folders 2775 (setgid: new files keep the
// group), files 0664. "0" leaves a mode to the umask; an empty group keeps
// the group a setgid folder gives.
type Permissions struct {
	FolderMode string `yaml:"folder_mode"`
	FileMode   string `yaml:"file_mode"`
	Group      string `yaml:"group"`
}

func (p Permissions) validate(c *Config) error {
	if _, err := sorter.ParseMode(p.FolderMode); err != nil {
		return c.errorf("permissions.folder_mode", "%v", err)
	}
	m, err := sorter.ParseMode(p.FileMode)
	if err != nil {
		return c.errorf("permissions.file_mode", "%v", err)
	}
	if m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky|0o111) != 0 {
		return c.errorf("permissions.file_mode", "%q: a filed document is not executable and has no setuid, setgid or sticky bit", p.FileMode)
	}
	return nil
}

// Modes returns the folder and file modes (0: the umask decides).
func (p Permissions) Modes() (dir, file fs.FileMode) {
	dir, _ = sorter.ParseMode(p.FolderMode)
	file, _ = sorter.ParseMode(p.FileMode)
	return dir, file
}

// GID resolves the group (a name or a number); ok is false when none is set.
func (p Permissions) GID() (gid int, ok bool, err error) {
	if p.Group == "" {
		return 0, false, nil
	}
	if n, err := strconv.Atoi(p.Group); err == nil && n >= 0 {
		return n, true, nil
	}
	g, err := user.LookupGroup(p.Group)
	if err != nil {
		return 0, false, fmt.Errorf("permissions.group: %w", err)
	}
	n, err := strconv.Atoi(g.Gid)
	if err != nil {
		return 0, false, fmt.Errorf("permissions.group %q: gid %q", p.Group, g.Gid)
	}
	return n, true, nil
}
