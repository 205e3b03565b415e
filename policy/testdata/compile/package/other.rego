package balancing

deny contains "never" if false
