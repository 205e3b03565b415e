package hvbalancer

config := data.limits
