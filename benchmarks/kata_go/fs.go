// ToDisk and FromDisk as kata's fs persist driver does them (virtcontainers/persist/fs/fs.go at kata
// main): every record rewritten in place with O_TRUNC through json.NewEncoder, no temporary file, no
// fsync; directories made with kata's "inherited owner" MkdirAll; container directories that are no
// longer in the map removed after writing; FromDisk decodes with json.NewDecoder and takes every
// subdirectory of the sandbox directory for a container. kata's caller takes the sandbox lock around
// these calls; the driver itself does not, so neither does this program.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"persistbench/katago/persistapi"
)

const (
	persistFile = "persist.json"
	dirMode     = os.FileMode(0o700) | os.ModeDir
	fileMode    = os.FileMode(0o600)
)

// FS mirrors kata's driver struct: the last state given to ToDisk or read by FromDisk.
type FS struct {
	sandboxState   *persistapi.SandboxState
	containerState map[string]persistapi.ContainerState
	root           string // kata's storageRootPath ("/run/vc"); records live under <root>/sbs
}

func newFS(root string) *FS {
	return &FS{
		sandboxState:   &persistapi.SandboxState{},
		containerState: make(map[string]persistapi.ContainerState),
		root:           root,
	}
}

func (fs *FS) sandboxDir(id string) string {
	return filepath.Join(fs.root, "sbs", id)
}

// ancestors lists path and its parents, outermost first, without "/" (kata's getAllParentPaths).
func ancestors(path string) []string {
	var out []string
	for cur := filepath.Clean(path); cur != "/" && cur != "."; cur = filepath.Dir(cur) {
		out = append([]string{cur}, out...)
	}
	return out
}

// mkdirAllInheritedOwner stats every ancestor of path; each one missing is made and given the owner of
// the nearest existing parent, as kata's utils.MkdirAllWithInheritedOwner does.
func mkdirAllInheritedOwner(path string, perm os.FileMode) error {
	uid, gid := os.Getuid(), os.Getgid()
	for _, cur := range ancestors(path) {
		info, err := os.Stat(cur)
		if err != nil {
			if err := os.MkdirAll(cur, perm); err != nil {
				return fmt.Errorf("mkdir call failed: %v", err)
			}
			if err := syscall.Chown(cur, uid, gid); err != nil {
				return fmt.Errorf("chown syscall failed: %v", err)
			}
			continue
		}
		if !info.IsDir() {
			return &os.PathError{Op: "mkdir", Path: cur, Err: syscall.ENOTDIR}
		}
		stat, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("no owner for %s", cur)
		}
		uid, gid = int(stat.Uid), int(stat.Gid)
	}
	return nil
}

// ToDisk writes the sandbox record, then every container record, then removes stale container dirs.
func (fs *FS) ToDisk(ss persistapi.SandboxState, cs map[string]persistapi.ContainerState) (retErr error) {
	id := ss.SandboxContainer
	if id == "" {
		return errors.New("sandbox container id required")
	}
	fs.sandboxState = &ss
	fs.containerState = cs
	dir := fs.sandboxDir(id)
	if err := mkdirAllInheritedOwner(dir, dirMode); err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			os.RemoveAll(dir)
		}
	}()
	f, err := os.OpenFile(filepath.Join(dir, persistFile), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := json.NewEncoder(f).Encode(fs.sandboxState); err != nil {
		return err
	}
	for cid, state := range fs.containerState {
		cdir := filepath.Join(dir, cid)
		if err := mkdirAllInheritedOwner(cdir, dirMode); err != nil {
			return err
		}
		cf, err := os.OpenFile(filepath.Join(cdir, persistFile), os.O_RDWR|os.O_CREATE|os.O_TRUNC, fileMode)
		if err != nil {
			return err
		}
		defer cf.Close() // kata closes every container file when ToDisk returns
		if err := json.NewEncoder(cf).Encode(state); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, entry := range entries {
		if !entry.IsDir() {
			continue
		}
		if _, ok := cs[entry.Name()]; !ok {
			if err := os.RemoveAll(filepath.Join(dir, entry.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// FromDisk reads the sandbox record and every container record under the sandbox directory.
func (fs *FS) FromDisk(sid string) (persistapi.SandboxState, map[string]persistapi.ContainerState, error) {
	ss := persistapi.SandboxState{}
	if sid == "" {
		return ss, nil, errors.New("restore requires sandbox id")
	}
	dir := fs.sandboxDir(sid)
	f, err := os.OpenFile(filepath.Join(dir, persistFile), os.O_RDONLY, fileMode)
	if err != nil {
		return ss, nil, err
	}
	defer f.Close()
	if err := json.NewDecoder(f).Decode(fs.sandboxState); err != nil {
		return ss, nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ss, nil, err
	}
	for _, entry := range entries {
		if !entry.IsDir() {
			continue
		}
		cid := entry.Name()
		cf, err := os.OpenFile(filepath.Join(dir, cid, persistFile), os.O_RDONLY, fileMode)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return ss, nil, err
		}
		defer cf.Close()
		var state persistapi.ContainerState
		if err := json.NewDecoder(cf).Decode(&state); err != nil {
			return ss, nil, err
		}
		fs.containerState[cid] = state
	}
	return *fs.sandboxState, fs.containerState, nil
}
