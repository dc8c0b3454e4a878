# -*- python -*-
# -*- coding: us-ascii -*-
## "oldteam" mailing list configuration settings
## captured on Tue Mar  3 10:00:00 2020

## Mailman.Gui.General

# The public name of this list (make case-changes only).
real_name = 'OldTeam'

# The list administrator email addresses.  Multiple administrator
# addresses, each on separate line is okay.
owner = ['alice@example.org', 'ops@example.org']

# The list moderator email addresses.  Multiple moderator addresses,
# each on separate line is okay.
moderator = ['mod@example.org']

# A terse phrase identifying this list.
description = 'Caf\xc3\xa9 team'

# An introductory description - a few paragraphs - about the list.
info = """Welcome to the team list.
It's where we talk about the caf\xc3\xa9."""

# Prefix for subject line of list postings.
subject_prefix = '[OldTeam] '

# Hide the sender of a message, replacing it with the list address
# (Removes From, Sender and Reply-To fields)
#
# legal values are:
#    0 = "No"
#    1 = "Yes"
anonymous_list = False

# Where are replies to list messages directed?
#
# legal values are:
#    0 = "Poster"
#    1 = "This list"
#    2 = "Explicit address"
reply_goes_to_list = 1

# Explicit Reply-To: header.
reply_to_address = ''

# Send monthly password reminders?
send_reminders = True

# List-specific text prepended to new-subscriber welcome message
welcome_msg = ''

# Should administrator get notices of subscribes and unsubscribes?
admin_notify_mchanges = True

# Maximum length in kilobytes (KB) of a message body.  Use 0 for no
# limit.
max_message_size = 40

# Host name this list prefers for email.
host_name = 'example.org'

# Emergency moderation of all list traffic.
emergency = False

# Replace the From: header address with the list's posting address to
# mitigate issues stemming from the original From: domain's DMARC or
# similar policies.
#
# legal values are:
#    0 = "No"
#    1 = "Munge From"
#    2 = "Wrap Message"
from_is_list = 1

## Mailman.Gui.Privacy

# What steps are required for subscription?<br>
#
# legal values are:
#    1 = "Confirm"
#    2 = "Require approval"
#    3 = "Confirm and approve"
subscribe_policy = 3

# List of addresses which are banned from membership in the mailing
# list.
ban_list = ['spammer@example.net', '^.*@spam\\.example$']

# Action to take for postings from non-members for which no explicit
# action is defined.
#
# legal values are:
#    0 = "Accept"
#    1 = "Hold"
#    2 = "Reject"
#    3 = "Discard"
generic_nonmember_action = 1

# List of non-member addresses whose postings should be automatically
# accepted.
accept_these_nonmembers = ['treasurer@work.example', '^.*@venue\\.example$', '@otherlist', '^(ann|bob)@partner\\.org$']

# Number of days to hold messages for moderator review.
max_days_to_hold = 10

# Topic keywords.
topics = [('Events', 'meetup|event', 'Meetups', False)]

## Mailman.Gui.Archive

# Archive messages?
archive = True

# Is archive file source for public or private archival?
#
# legal values are:
#    0 = "public"
#    1 = "private"
archive_private = 1

# How often should a new archive volume be started?
archive_volume_frequency = 2

## Mailman.Gui.Digest

# Can list members choose to receive list traffic bunched in digests?
digestable = True

# Which delivery mode is the default for new users?
digest_is_default = False

# How big in Kb should a digest be before it gets sent out?
digest_size_threshhold = 30
