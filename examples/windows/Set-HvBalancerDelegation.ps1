#Requires -Version 5.1
#Requires -Modules ActiveDirectory

<#
.SYNOPSIS
Sets up Kerberos constrained delegation so that stand-alone Hyper-V hosts can
live-migrate to each other when hvbalancer starts Move-VM remotely.

.DESCRIPTION
hvbalancer logs in to the source host and runs Move-VM there. The source host
must then authenticate to the destination on the account's behalf (the
"double hop"). With Kerberos live-migration authentication this needs, on each
source host's computer account, constrained delegation to the destination's
services:

    cifs/<destination>                                     (storage)
    Microsoft Virtual System Migration Service/<destination>  (the VM)

for every other host, with the short name and the DNS name of each
destination, as Active Directory Users and Computers adds them. This script
adds the missing entries to msDS-AllowedToDelegateTo of every host given and,
unless -KerberosOnly, turns on "Use any authentication protocol"
(TrustedToAuthForDelegation), which hvbalancer needs when it logs in with NTLM:
an NTLM login leaves the source host no Kerberos ticket of the account to
delegate, and protocol transition lets it obtain one.

It never removes entries. Run it with -WhatIf first. It needs rights to
change the computer objects (Microsoft's guide says Domain Admins).

.PARAMETER ComputerName
The stand-alone Hyper-V hosts that migrate among each other (computer names
as in Active Directory).

.PARAMETER ServiceAccount
The account hvbalancer logs in with (sAMAccountName). It is only checked: it
must not be "sensitive and cannot be delegated" nor a member of Protected
Users, or no host can act on its behalf.

.PARAMETER KerberosOnly
Use "Kerberos only" constrained delegation (do not set
TrustedToAuthForDelegation). Only when hvbalancer uses auth: kerberos on every
one of these hosts.

.EXAMPLE
.\Set-HvBalancerDelegation.ps1 -ComputerName HV01, HV02, HV03 -ServiceAccount svc-hvbalancer -WhatIf

.LINK
https://learn.microsoft.com/windows-server/virtualization/hyper-v/deploy/set-up-hosts-for-live-migration-without-failover-clustering
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)]
    [ValidateCount(2, 1000)]
    [string[]] $ComputerName,

    [string] $ServiceAccount,

    [switch] $KerberosOnly
)

$ErrorActionPreference = 'Stop'
$Services = @('cifs', 'Microsoft Virtual System Migration Service')
$Properties = @('msDS-AllowedToDelegateTo', 'TrustedToAuthForDelegation', 'TrustedForDelegation', 'DNSHostName')

$computers = @()
foreach ($name in $ComputerName) {
    $computers += Get-ADComputer -Identity $name -Properties $Properties
}

foreach ($source in $computers) {
    $have = @()
    if ($source.'msDS-AllowedToDelegateTo') {
        $have = @($source.'msDS-AllowedToDelegateTo')
    }
    $want = @()
    foreach ($dest in $computers) {
        if ($dest.SID.Value -eq $source.SID.Value) {
            continue
        }
        $destNames = @($dest.Name)
        if ($dest.DNSHostName) {
            $destNames += $dest.DNSHostName
        }
        foreach ($service in $Services) {
            foreach ($destName in $destNames) {
                $want += "$service/$destName"
            }
        }
    }
    $missing = @($want | Where-Object { $have -notcontains $_ })

    if ($missing.Count -gt 0) {
        Write-Verbose "$($source.Name): adding $($missing -join '; ')"
        if ($PSCmdlet.ShouldProcess($source.Name, "Allow delegation to $($missing.Count) service(s) of the other hosts")) {
            Set-ADComputer -Identity $source -Add @{ 'msDS-AllowedToDelegateTo' = [string[]]$missing }
        }
    } else {
        Write-Verbose "$($source.Name): delegation to every other host is in place."
    }
    $extra = @($have | Where-Object { $want -notcontains $_ })
    if ($extra.Count -gt 0) {
        Write-Verbose "$($source.Name) may also delegate to: $($extra -join '; ') (left as is)."
    }

    if (-not $KerberosOnly -and -not $source.TrustedToAuthForDelegation) {
        if ($PSCmdlet.ShouldProcess($source.Name, 'Use any authentication protocol (TrustedToAuthForDelegation)')) {
            Set-ADAccountControl -Identity $source -TrustedToAuthForDelegation $true
        }
    }
    if ($source.TrustedForDelegation) {
        Write-Warning "$($source.Name) is trusted for delegation to any service (unconstrained). Microsoft's live-migration guide uses 'Trust this computer for delegation to the specified services only' instead."
    }
}

if ($ServiceAccount) {
    $user = Get-ADUser -Identity $ServiceAccount -Properties AccountNotDelegated
    if ($user.AccountNotDelegated) {
        Write-Warning "$ServiceAccount is marked 'Account is sensitive and cannot be delegated': no host can act for it. Clear it with Set-ADAccountControl -Identity $ServiceAccount -AccountNotDelegated `$false."
    }
    $protectedUsers = Get-ADGroup -Identity ('{0}-525' -f (Get-ADDomain).DomainSID.Value)
    $members = @(Get-ADGroupMember -Identity $protectedUsers -Recursive | Where-Object { $_.SID.Value -eq $user.SID.Value })
    if ($members.Count -gt 0) {
        Write-Warning "$ServiceAccount is in $($protectedUsers.Name): its credentials cannot be delegated and it cannot use NTLM. Use another account for hvbalancer."
    }
}

# What is in place now (under -WhatIf: what was there before).
$rows = foreach ($name in $ComputerName) {
    $c = Get-ADComputer -Identity $name -Properties $Properties
    $protocol = 'Kerberos only'
    if ($c.TrustedToAuthForDelegation) {
        $protocol = 'any authentication protocol'
    }
    New-Object PSObject -Property ([ordered]@{
        Host        = $c.Name
        Protocol    = $protocol
        DelegatesTo = (@($c.'msDS-AllowedToDelegateTo') | Sort-Object) -join "`n"
    })
}
$rows | Format-List

Write-Output @"
The change takes effect once it has replicated to the domain controllers the
hosts use and the hosts hold new Kerberos tickets: on each host run
  klist purge -li 0x3e7
(the computer account's tickets), or restart it.
"@
