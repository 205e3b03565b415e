# hvbalancer get-vms
$ErrorActionPreference = 'Stop'
$uptime = 'Uptime'
#include read-vms
$vmsOut | ConvertTo-Json -Compress -Depth 4
