package identity

import (
	"context"
)

// ListProjects lists the projects of a department ("" for every department),
// by name.
func (s *Service) ListProjects(ctx context.Context, departmentID string) ([]Project, error) {
	q := `SELECT ` + projectCols + ` FROM projects`
	var args []any
	if departmentID != "" {
		q += ` WHERE department_id = ?`
		args = append(args, departmentID)
	}
	ps := []Project{}
	if err := s.db.SelectContext(ctx, &ps, s.db.Rebind(q+` ORDER BY name, id`), args...); err != nil {
		return nil, internal("ListProjects", err)
	}
	for i := range ps {
		ps[i] = utcProject(ps[i])
	}
	return ps, nil
}

// ListUsers lists the users of a department ("" for every department), by name.
func (s *Service) ListUsers(ctx context.Context, departmentID string) ([]User, error) {
	q := `SELECT ` + userCols + ` FROM users`
	var args []any
	if departmentID != "" {
		q += ` WHERE department_id = ?`
		args = append(args, departmentID)
	}
	us := []User{}
	if err := s.db.SelectContext(ctx, &us, s.db.Rebind(q+` ORDER BY name, id`), args...); err != nil {
		return nil, internal("ListUsers", err)
	}
	for i := range us {
		us[i] = utcUser(us[i])
	}
	return us, nil
}
