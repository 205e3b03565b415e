#Requires -Version 5.1
#Requires -RunAsAdministrator
#Requires -Modules Hyper-V

<#
.SYNOPSIS
Prepares one Hyper-V host for hvbalancer: WinRM, the service account's rights,
and live-migration settings. Safe to run again: it changes only what differs.

.DESCRIPTION
Run it on each host, in an elevated Windows PowerShell 5.1, first with -WhatIf
to see what it would change. It does, in order:

 1. WinRM over HTTP (port 5985): Enable-PSRemoting when the WinRM service or
    its HTTP listener is missing; AllowUnencrypted=false and Basic=false on the
    WinRM service (Windows' defaults: hvbalancer encrypts NTLM and Kerberos
    messages itself).
 2. With -Https: an HTTPS listener (port 5986) bound to the certificate given
    by -CertificateThumbprint, after checking that the certificate names this
    host, and a firewall rule for port 5986.
 3. The service account in the local groups Hyper-V Administrators, Remote
    Management Users and Performance Monitor Users (found by their well-known
    SIDs, so localized names do not matter).
 4. The service account allowed to use WinRM's command shell: hvbalancer runs
    its scripts in that shell, which by default only administrators may open
    (the shell is governed by the WinRM service's RootSDDL, not by the
    PowerShell session configurations that Remote Management Users opens).
 5. Live migration: Enable-VMMigration, Kerberos authentication, and the
    optional limits, performance option and migration networks.
 6. With -GrantClusterAccess on a failover cluster node: Grant-ClusterAccess
    -Full for the service account.
 7. A final check that prints what is now in place.

Active Directory (constrained delegation for stand-alone hosts) is not done
here: see Set-HvBalancerDelegation.ps1 and docs/windows-setup.md.

.PARAMETER ServiceAccount
The account hvbalancer logs in with, as DOMAIN\name (for example
CORP\svc-hvbalancer). A local account (HV01\name) works for NTLM only.

.PARAMETER Https
Also create (or update) the HTTPS listener on port 5986.

.PARAMETER CertificateThumbprint
Thumbprint of a certificate in Cert:\LocalMachine\My with a private key, whose
subject or subject alternative names include -HostName. Required with -Https.

.PARAMETER HostName
The DNS name hvbalancer connects to and the certificate must carry. Default:
this computer's name with its domain (Win32_ComputerSystem).

.PARAMETER HttpsRemoteAddress
Addresses allowed through the HTTPS firewall rule (New-NetFirewallRule
-RemoteAddress): for example the hvbalancer server. Default: Any.

.PARAMETER MigrationNetworks
Subnets for incoming live migrations, for example 10.50.0.0/24. When given,
they are added (Add-VMMigrationNetwork) and UseAnyNetworkForMigration is
turned off. Networks already present and not listed are reported, not removed.

.PARAMETER UseAnyNetworkForMigration
Accept incoming live migrations on any network instead (not with
-MigrationNetworks).

.PARAMETER MaximumMigrations
Simultaneous live migrations on this host (Set-VMHost
-MaximumVirtualMachineMigrations). Default: leave as is (Hyper-V's default is 2).
hvbalancer reads this value and never exceeds it.

.PARAMETER MaximumStorageMigrations
Simultaneous storage migrations (Set-VMHost -MaximumStorageMigrations).
Default: leave as is.

.PARAMETER PerformanceOption
TCPIP, Compression or SMB (Set-VMHost -VirtualMachineMigrationPerformanceOption).
Default: leave as is.

.PARAMETER SkipShellAccess
Do not add the service account to the WinRM service's RootSDDL (step 4), for
example when the account is a local administrator anyway.

.PARAMETER GrantClusterAccess
On a failover cluster node, run Grant-ClusterAccess -User <ServiceAccount>
-Full (once per cluster is enough).

.EXAMPLE
.\Prepare-HvBalancerHost.ps1 -ServiceAccount CORP\svc-hvbalancer -WhatIf

.EXAMPLE
.\Prepare-HvBalancerHost.ps1 -ServiceAccount CORP\svc-hvbalancer -MigrationNetworks 10.50.0.0/24 -MaximumMigrations 2 -Verbose

.EXAMPLE
.\Prepare-HvBalancerHost.ps1 -ServiceAccount CORP\svc-hvbalancer -Https -CertificateThumbprint 0123456789ABCDEF0123456789ABCDEF01234567 -HttpsRemoteAddress 10.0.0.25

.LINK
https://github.com/hvbalancer/hvbalancer/blob/main/docs/windows-setup.md
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)]
    [ValidatePattern('^[^\\]+\\[^\\]+$')]
    [string] $ServiceAccount,

    [switch] $Https,

    [ValidatePattern('^[0-9A-Fa-f]{40}$')]
    [string] $CertificateThumbprint,

    [string] $HostName,

    [string[]] $HttpsRemoteAddress = @('Any'),

    [string[]] $MigrationNetworks = @(),

    [switch] $UseAnyNetworkForMigration,

    [ValidateRange(1, 64)]
    [uint32] $MaximumMigrations,

    [ValidateRange(1, 64)]
    [uint32] $MaximumStorageMigrations,

    [ValidateSet('TCPIP', 'Compression', 'SMB')]
    [string] $PerformanceOption,

    [switch] $SkipShellAccess,

    [switch] $GrantClusterAccess
)

$ErrorActionPreference = 'Stop'

# Well-known SIDs of the built-in local groups (see "Active Directory security
# groups" on learn.microsoft.com).
$HyperVAdministrators = 'S-1-5-32-578'
$RemoteManagementUsers = 'S-1-5-32-580'
$PerformanceMonitorUsers = 'S-1-5-32-558'
$GenericAll = 0x10000000

if ($Https -and -not $CertificateThumbprint) {
    throw '-Https needs -CertificateThumbprint: the thumbprint of a certificate in Cert:\LocalMachine\My that names this host.'
}
if ($CertificateThumbprint -and -not $Https) {
    throw '-CertificateThumbprint is only used with -Https.'
}
if ($UseAnyNetworkForMigration -and $MigrationNetworks.Count -gt 0) {
    throw 'Use either -MigrationNetworks or -UseAnyNetworkForMigration, not both.'
}

# --- Who and where -----------------------------------------------------------

try {
    $account = New-Object System.Security.Principal.NTAccount($ServiceAccount)
    $accountSid = $account.Translate([System.Security.Principal.SecurityIdentifier])
} catch {
    throw "The account $ServiceAccount cannot be resolved to a SID: $($_.Exception.Message)"
}
Write-Verbose "Service account $ServiceAccount is $($accountSid.Value)."

if (-not $HostName) {
    $cs = Get-CimInstance -ClassName Win32_ComputerSystem
    if ($cs.PartOfDomain) {
        $HostName = ('{0}.{1}' -f $env:COMPUTERNAME, $cs.Domain).ToLowerInvariant()
    } else {
        $HostName = $env:COMPUTERNAME.ToLowerInvariant()
    }
}
Write-Verbose "Host name hvbalancer connects to: $HostName."

function Get-Listener {
    param([string] $Transport)
    try {
        return Get-WSManInstance -ResourceURI winrm/config/listener -SelectorSet @{ Address = '*'; Transport = $Transport }
    } catch {
        return $null
    }
}

function Set-WSManValue {
    # Sets a WSMan: drive item to a value when it differs; says what it did.
    param([string] $Path, [string] $Want, [string] $Why)
    $have = [string](Get-Item -Path $Path).Value
    if ($have -eq $Want) {
        Write-Verbose "$Path is already $Want."
        return
    }
    Write-Warning "$Path is $have; setting it to $Want ($Why). Other tools that relied on $have must now do the same."
    if ($PSCmdlet.ShouldProcess($Path, "Set to $Want")) {
        try {
            Set-Item -Path $Path -Value $Want -Force
        } catch {
            Write-Warning "Could not set ${Path}: $($_.Exception.Message) (a Group Policy may control this setting)."
        }
    }
}

# --- 1. WinRM over HTTP ------------------------------------------------------

$winrm = Get-Service -Name WinRM
$httpListener = Get-Listener -Transport 'HTTP'
if ($winrm.Status -ne 'Running' -or -not $httpListener) {
    Write-Verbose 'WinRM is not running or has no HTTP listener: running Enable-PSRemoting.'
    if ($PSCmdlet.ShouldProcess('WinRM', 'Enable-PSRemoting -Force')) {
        Enable-PSRemoting -Force | Out-Null
    }
} else {
    Write-Verbose 'WinRM is running with an HTTP listener.'
}

if (Test-Path -Path WSMan:\localhost\Service) {
    Set-WSManValue -Path WSMan:\localhost\Service\AllowUnencrypted -Want 'false' -Why 'hvbalancer encrypts NTLM and Kerberos messages; nothing should travel in the clear'
    Set-WSManValue -Path WSMan:\localhost\Service\Auth\Basic -Want 'false' -Why 'Basic sends the password itself; NTLM or Kerberos do not'
} else {
    Write-Warning 'WSMan:\localhost\Service is not readable yet (run again without -WhatIf).'
}

# --- 2. HTTPS listener ---------------------------------------------------------

if ($Https) {
    $certPath = "Cert:\LocalMachine\My\$CertificateThumbprint"
    if (-not (Test-Path -Path $certPath)) {
        throw "No certificate $CertificateThumbprint in Cert:\LocalMachine\My."
    }
    $cert = Get-Item -Path $certPath
    if (-not $cert.HasPrivateKey) {
        throw "Certificate $CertificateThumbprint has no private key on this host."
    }
    $names = @($cert.DnsNameList | ForEach-Object { $_.Unicode })
    if ($names -notcontains $HostName) {
        throw "Certificate $CertificateThumbprint names $($names -join ', '), not ${HostName}: hvbalancer verifies the name (or set -HostName to the name it carries and connect by that name)."
    }
    if ($cert.NotAfter -lt (Get-Date).AddDays(30)) {
        Write-Warning "Certificate $CertificateThumbprint expires on $($cert.NotAfter)."
    }
    $ekus = @($cert.EnhancedKeyUsageList | ForEach-Object { $_.ObjectId })
    if ($ekus.Count -gt 0 -and $ekus -notcontains '1.3.6.1.5.5.7.3.1') {
        Write-Warning "Certificate $CertificateThumbprint is not marked for Server Authentication (1.3.6.1.5.5.7.3.1)."
    }

    $httpsListener = Get-Listener -Transport 'HTTPS'
    $values = @{ Hostname = $HostName; CertificateThumbprint = $CertificateThumbprint }
    if (-not $httpsListener) {
        if ($PSCmdlet.ShouldProcess('WinRM HTTPS listener on *:5986', "Create with certificate $CertificateThumbprint for $HostName")) {
            New-WSManInstance -ResourceURI winrm/config/Listener -SelectorSet @{ Address = '*'; Transport = 'HTTPS' } -ValueSet $values | Out-Null
        }
    } elseif ($httpsListener.CertificateThumbprint -ne $CertificateThumbprint -or $httpsListener.Hostname -ne $HostName) {
        if ($PSCmdlet.ShouldProcess('WinRM HTTPS listener on *:5986', "Rebind to certificate $CertificateThumbprint for $HostName")) {
            Set-WSManInstance -ResourceURI winrm/config/Listener -SelectorSet @{ Address = '*'; Transport = 'HTTPS' } -ValueSet $values | Out-Null
        }
    } else {
        Write-Verbose 'The HTTPS listener already uses this certificate and host name.'
    }

    $ruleName = 'hvbalancer-WinRM-HTTPS-In'
    $rule = Get-NetFirewallRule -Name $ruleName -ErrorAction SilentlyContinue
    if (-not $rule) {
        if ($PSCmdlet.ShouldProcess("Firewall rule $ruleName", 'Allow TCP 5986 in')) {
            New-NetFirewallRule -Name $ruleName -DisplayName 'Windows Remote Management (HTTPS-In) for hvbalancer' `
                -Direction Inbound -Protocol TCP -LocalPort 5986 -Action Allow -Profile Any `
                -RemoteAddress $HttpsRemoteAddress | Out-Null
        }
    } elseif ([string]$rule.Enabled -ne 'True') {
        if ($PSCmdlet.ShouldProcess("Firewall rule $ruleName", 'Enable')) {
            Enable-NetFirewallRule -Name $ruleName
        }
    } else {
        Write-Verbose "Firewall rule $ruleName is in place."
    }
}

# --- 3. Local groups -----------------------------------------------------------

foreach ($groupSid in @($HyperVAdministrators, $RemoteManagementUsers, $PerformanceMonitorUsers)) {
    $group = Get-LocalGroup -SID $groupSid
    $isMember = $false
    try {
        $isMember = [bool](Get-LocalGroupMember -SID $groupSid | Where-Object { $_.SID.Value -eq $accountSid.Value })
    } catch {
        # Get-LocalGroupMember fails on groups holding members it cannot
        # resolve; adding then tells us whether the account was there.
        Write-Verbose "Could not list $($group.Name): $($_.Exception.Message)"
    }
    if ($isMember) {
        Write-Verbose "$ServiceAccount is already in $($group.Name)."
        continue
    }
    if ($PSCmdlet.ShouldProcess($group.Name, "Add $ServiceAccount")) {
        try {
            Add-LocalGroupMember -SID $groupSid -Member $ServiceAccount
            Write-Verbose "Added $ServiceAccount to $($group.Name)."
        } catch {
            if ($_.FullyQualifiedErrorId -like 'MemberExists*') {
                Write-Verbose "$ServiceAccount is already in $($group.Name)."
            } else {
                throw
            }
        }
    }
}

# --- 4. WinRM command shell access (RootSDDL) ---------------------------------

function Test-RootSddlAccess {
    param([string] $Sddl)
    $sd = New-Object System.Security.AccessControl.CommonSecurityDescriptor($false, $false, $Sddl)
    foreach ($ace in $sd.DiscretionaryAcl) {
        if ($ace.AceType -eq 'AccessAllowed' -and $ace.SecurityIdentifier.Value -eq $accountSid.Value -and ($ace.AccessMask -band $GenericAll)) {
            return $true
        }
    }
    return $false
}

if (-not $SkipShellAccess) {
    $rootSddl = [string](Get-Item -Path WSMan:\localhost\Service\RootSDDL).Value
    if (Test-RootSddlAccess -Sddl $rootSddl) {
        Write-Verbose "$ServiceAccount may already use WinRM's command shell (RootSDDL)."
    } else {
        $sd = New-Object System.Security.AccessControl.CommonSecurityDescriptor($false, $false, $rootSddl)
        $sd.DiscretionaryAcl.AddAccess([System.Security.AccessControl.AccessControlType]::Allow, $accountSid, $GenericAll,
            [System.Security.AccessControl.InheritanceFlags]::None, [System.Security.AccessControl.PropagationFlags]::None)
        $newSddl = $sd.GetSddlForm([System.Security.AccessControl.AccessControlSections]::All)
        Write-Verbose "RootSDDL was $rootSddl"
        Write-Verbose "RootSDDL becomes $newSddl"
        if ($PSCmdlet.ShouldProcess('WSMan:\localhost\Service\RootSDDL', "Allow $ServiceAccount full control (no narrower set of rights is documented)")) {
            Set-Item -Path WSMan:\localhost\Service\RootSDDL -Value $newSddl -Force
        }
    }
}

# --- 5. Live migration ---------------------------------------------------------

$vmHost = Get-VMHost
if (-not $vmHost.VirtualMachineMigrationEnabled) {
    if ($PSCmdlet.ShouldProcess($env:COMPUTERNAME, 'Enable-VMMigration')) {
        Enable-VMMigration
    }
} else {
    Write-Verbose 'Live migration is enabled.'
}

$setVMHost = @{}
if ([string]$vmHost.VirtualMachineMigrationAuthenticationType -ne 'Kerberos') {
    $setVMHost['VirtualMachineMigrationAuthenticationType'] = 'Kerberos'
}
if ($PerformanceOption -and [string]$vmHost.VirtualMachineMigrationPerformanceOption -ne $PerformanceOption) {
    $setVMHost['VirtualMachineMigrationPerformanceOption'] = $PerformanceOption
}
if ($PSBoundParameters.ContainsKey('MaximumMigrations') -and $vmHost.MaximumVirtualMachineMigrations -ne $MaximumMigrations) {
    $setVMHost['MaximumVirtualMachineMigrations'] = $MaximumMigrations
}
if ($PSBoundParameters.ContainsKey('MaximumStorageMigrations') -and $vmHost.MaximumStorageMigrations -ne $MaximumStorageMigrations) {
    $setVMHost['MaximumStorageMigrations'] = $MaximumStorageMigrations
}
if ($MigrationNetworks.Count -gt 0 -and $vmHost.UseAnyNetworkForMigration) {
    $setVMHost['UseAnyNetworkForMigration'] = $false
}
if ($UseAnyNetworkForMigration -and -not $vmHost.UseAnyNetworkForMigration) {
    $setVMHost['UseAnyNetworkForMigration'] = $true
}
if ($setVMHost.Count -gt 0) {
    $what = ($setVMHost.GetEnumerator() | ForEach-Object { "-$($_.Key) $($_.Value)" }) -join ' '
    if ($PSCmdlet.ShouldProcess($env:COMPUTERNAME, "Set-VMHost $what")) {
        Set-VMHost @setVMHost
    }
} else {
    Write-Verbose 'Live-migration settings already as asked.'
}

foreach ($net in $MigrationNetworks) {
    if (Get-VMMigrationNetwork -Subnet $net -ErrorAction SilentlyContinue) {
        Write-Verbose "Migration network $net is present."
    } elseif ($PSCmdlet.ShouldProcess($env:COMPUTERNAME, "Add-VMMigrationNetwork $net")) {
        Add-VMMigrationNetwork -Subnet $net
    }
}
if ($MigrationNetworks.Count -gt 0) {
    $others = @(Get-VMMigrationNetwork | Where-Object { $MigrationNetworks -notcontains $_.Subnet })
    foreach ($o in $others) {
        Write-Warning "Migration network $($o.Subnet) is also accepted; remove it with Remove-VMMigrationNetwork -Subnet $($o.Subnet) if it should not be."
    }
}

# --- 6. Failover cluster -------------------------------------------------------

if ($GrantClusterAccess) {
    if (-not (Get-Command -Name Grant-ClusterAccess -ErrorAction SilentlyContinue)) {
        throw '-GrantClusterAccess needs the FailoverClusters module (a cluster node).'
    }
    if ($PSCmdlet.ShouldProcess('this cluster', "Grant-ClusterAccess -User $ServiceAccount -Full")) {
        Grant-ClusterAccess -User $ServiceAccount -Full
    }
}

# --- 7. Final check ------------------------------------------------------------

function Get-CheckRow {
    param([string] $Check, [bool] $Ok, [string] $Detail)
    $state = 'OK'
    if (-not $Ok) { $state = 'CHECK' }
    New-Object PSObject -Property ([ordered]@{ Check = $Check; State = $state; Detail = $Detail })
}

$rows = New-Object System.Collections.ArrayList
$winrm = Get-Service -Name WinRM
[void]$rows.Add((Get-CheckRow 'WinRM service' ($winrm.Status -eq 'Running') "$($winrm.Status)"))

$l = Get-Listener -Transport 'HTTP'
[void]$rows.Add((Get-CheckRow 'HTTP listener' ([bool]$l) $(if ($l) { "port $($l.Port), enabled $($l.Enabled)" } else { 'none' })))
if ($Https) {
    $l = Get-Listener -Transport 'HTTPS'
    $ok = [bool]$l -and $l.CertificateThumbprint -eq $CertificateThumbprint
    [void]$rows.Add((Get-CheckRow 'HTTPS listener' $ok $(if ($l) { "port $($l.Port), $($l.Hostname), $($l.CertificateThumbprint)" } else { 'none' })))
}

if (Test-Path -Path WSMan:\localhost\Service) {
    $v = [string](Get-Item -Path WSMan:\localhost\Service\AllowUnencrypted).Value
    [void]$rows.Add((Get-CheckRow 'AllowUnencrypted' ($v -eq 'false') $v))
    $v = [string](Get-Item -Path WSMan:\localhost\Service\Auth\Basic).Value
    [void]$rows.Add((Get-CheckRow 'Basic authentication' ($v -eq 'false') $v))
    if (-not $SkipShellAccess) {
        $ok = Test-RootSddlAccess -Sddl ([string](Get-Item -Path WSMan:\localhost\Service\RootSDDL).Value)
        [void]$rows.Add((Get-CheckRow 'Command shell access (RootSDDL)' $ok $ServiceAccount))
    }
}

foreach ($groupSid in @($HyperVAdministrators, $RemoteManagementUsers, $PerformanceMonitorUsers)) {
    $group = Get-LocalGroup -SID $groupSid
    $ok = $false
    try {
        $ok = [bool](Get-LocalGroupMember -SID $groupSid | Where-Object { $_.SID.Value -eq $accountSid.Value })
        $detail = $ServiceAccount
    } catch {
        $detail = "could not list members: $($_.Exception.Message)"
    }
    [void]$rows.Add((Get-CheckRow "Member of $($group.Name)" $ok $detail))
}

$vmHost = Get-VMHost
[void]$rows.Add((Get-CheckRow 'Live migration enabled' ([bool]$vmHost.VirtualMachineMigrationEnabled) "$($vmHost.VirtualMachineMigrationEnabled)"))
[void]$rows.Add((Get-CheckRow 'Migration authentication' ([string]$vmHost.VirtualMachineMigrationAuthenticationType -eq 'Kerberos') "$($vmHost.VirtualMachineMigrationAuthenticationType)"))
[void]$rows.Add((Get-CheckRow 'Migration performance option' $true "$($vmHost.VirtualMachineMigrationPerformanceOption)"))
[void]$rows.Add((Get-CheckRow 'Simultaneous live migrations' $true "$($vmHost.MaximumVirtualMachineMigrations) (storage: $($vmHost.MaximumStorageMigrations))"))
$nets = @(Get-VMMigrationNetwork | ForEach-Object { $_.Subnet })
$ok = [bool]$vmHost.UseAnyNetworkForMigration -or $nets.Count -gt 0
[void]$rows.Add((Get-CheckRow 'Migration networks' $ok $(if ($vmHost.UseAnyNetworkForMigration) { 'any network' } else { $nets -join ', ' })))

try {
    if ($Https) {
        $null = Test-WSMan -ComputerName $HostName -UseSSL
    } else {
        $null = Test-WSMan -ComputerName $HostName
    }
    [void]$rows.Add((Get-CheckRow "Test-WSMan $HostName" $true 'the listener answers under this name'))
} catch {
    [void]$rows.Add((Get-CheckRow "Test-WSMan $HostName" $false $_.Exception.Message))
}

$rows | Format-Table -AutoSize -Wrap

if ($WhatIfPreference) {
    Write-Warning 'This was -WhatIf: nothing was changed, and the check above shows the host as it is.'
}
if (@($rows | Where-Object { $_.State -ne 'OK' }).Count -gt 0) {
    Write-Warning 'Some checks need attention (State CHECK above).'
}
Write-Output @"
Still to do outside this host (docs/windows-setup.md):
  - stand-alone hosts: Kerberos constrained delegation in Active Directory
    (Set-HvBalancerDelegation.ps1), then 'klist purge -li 0x3e7' on each host;
  - SPNs: 'setspn -L $env:COMPUTERNAME' should list HOST/ (and usually WSMAN/)
    entries for $HostName;
  - from the hvbalancer server: 'hvbalancer check --config FILE --connect'.
"@
