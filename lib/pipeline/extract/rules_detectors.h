// The rules extractor's per-type detectors (internal). Each reads one message and returns at
// most one event of its type; company_id and source ids are filled in by the caller.
//
// Every detector needs a trigger that is also a prefilter signal (pipeline/extract/prefilter.h), so
// the prefilter never drops a message a detector would fire on; prefilter_test checks this over
// generated and real data.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipeline/extract/rules_text.h"
#include "ports/extract.h"

namespace ms::rules {

using Detection = std::optional<ExtractedEvent>;

// A new event of `type` with the excerpt around `pos` as description, the message date as
// timeline and the (redacted) sender as first stakeholder; the title passes through Clean().
ExtractedEvent NewEvent(const char* type, const char* severity, std::string_view title,
                        const MessageView& view, size_t pos);

// "series_a", "seed", "pre_seed", "bridge", or "" (and where it was found).
std::string FindRound(std::string_view lower, size_t* at = nullptr);

// The investor's firm: from the sender ("Blue Chip Ventures - Investment Team", "Partner at
// X"), the last firm named in the text (a signature), or an investor's e-mail domain; "" if none.
std::string InvestorName(const MessageView& view);

// rules_funding.cc
Detection DetectFunding(const MessageView& view);
// rules_investors.cc
Detection DetectInvestorInterest(const MessageView& view);
// rules_business.cc
Detection DetectEnterpriseDeal(const MessageView& view);
Detection DetectHiring(const MessageView& view);
Detection DetectCompliance(const MessageView& view);
// rules_other.cc
Detection DetectProductLaunch(const MessageView& view);
Detection DetectPartnership(const MessageView& view);
Detection DetectMediaCoverage(const MessageView& view);
Detection DetectMarketExpansion(const MessageView& view);
Detection DetectTechnicalAchievement(const MessageView& view);
Detection DetectCustomerSuccess(const MessageView& view);
Detection DetectOther(const MessageView& view);

// rules_kpi.cc: the KPI readings of a report, one per metric (source_message_id left 0).
std::vector<ExtractedObservation> DetectObservations(const MessageView& view);

}  // namespace ms::rules
