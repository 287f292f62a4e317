// Names the synthetic story draws from (pipeline/generator/generator_story.h). Fictional firms and
// customers; every entry is used at most once per company where the story says "each once".
#pragma once

#include <array>

namespace ms::gen {

inline constexpr std::array<const char*, 16> kCompanyPrefixes = {
    "nimbus", "quantum", "ledger",  "orbit",  "pylon", "cobalt", "vertex", "lumen",
    "harbor", "tandem",  "kestrel", "sprout", "atlas", "ember",  "fathom", "nova"};
inline constexpr std::array<const char*, 6> kCompanySuffixes = {"labs",  "ai",   "hq",
                                                                "works", "data", "cloud"};
inline constexpr std::array<const char*, 10> kProductNouns = {
    "Flow", "Insights", "Pulse", "Sync", "Guard", "Studio", "Pilot", "Desk", "Signal", "Connect"};

// Every firm ends in Ventures or Capital: the word that marks an investor in chat.
inline constexpr std::array<const char*, 16> kFirms = {
    "Blue Chip Ventures",    "Northwind Capital",      "Granite Peak Ventures",
    "Lighthouse Capital",    "Redwood Hill Ventures",  "Meridian Capital",
    "Foundry Lane Ventures", "Cedar Grove Capital",    "Summit Ridge Ventures",
    "Ironbridge Capital",    "Bright Harbor Ventures", "Tidewater Capital",
    "Open Field Ventures",   "Silver Creek Capital",   "Juniper Point Ventures",
    "Oakmont Capital"};

inline constexpr std::array<const char*, 30> kCustomers = {"Skyline Airways",
                                                           "Globex",
                                                           "Initech",
                                                           "Umbrella Health",
                                                           "Stark Logistics",
                                                           "Wayne Retail",
                                                           "Acme Corp",
                                                           "Hooli",
                                                           "Soylent Foods",
                                                           "Cyberdyne Systems",
                                                           "Tyrell Group",
                                                           "Wonka Industries",
                                                           "Massive Dynamic",
                                                           "Vandelay Imports",
                                                           "Dunder Mifflin",
                                                           "Sterling Cooper",
                                                           "Monarch Airlines",
                                                           "Northwind Traders",
                                                           "Contoso",
                                                           "Fabrikam",
                                                           "Tailspin Toys",
                                                           "Litware",
                                                           "Adventure Works",
                                                           "Woodgrove Bank",
                                                           "Blue Yonder Air",
                                                           "Proseware",
                                                           "Wide World Importers",
                                                           "Lucerne Publishing",
                                                           "Alpine Ski House",
                                                           "Coho Vineyards"};

inline constexpr std::array<const char*, 10> kRoles = {"VP Engineering",
                                                       "Head of Sales",
                                                       "VP Marketing",
                                                       "Head of Customer Success",
                                                       "CFO",
                                                       "Head of Product",
                                                       "VP People",
                                                       "General Counsel",
                                                       "Head of Data",
                                                       "CISO"};

inline constexpr std::array<const char*, 7> kLaunchNames = {
    "2.0", "Mobile", "API", "Copilot", "Analytics", "Workflows", "Enterprise Edition"};

inline constexpr std::array<const char*, 3> kFrameworks = {"SOC 2 Type II", "ISO 27001", "HIPAA"};

inline constexpr std::array<const char*, 10> kPartners = {
    "AWS",     "Google Cloud", "Microsoft Azure", "Snowflake",  "Salesforce",
    "HubSpot", "Stripe",       "Shopify",         "Databricks", "Twilio"};

inline constexpr std::array<const char*, 6> kOutlets = {
    "TechCrunch", "Forbes", "VentureBeat", "Business Insider", "Fast Company", "Wired"};

struct City {
  const char* city;
  const char* region;
};
inline constexpr std::array<City, 7> kCities = {{{"London", "EMEA"},
                                                 {"Berlin", "EMEA"},
                                                 {"Paris", "EMEA"},
                                                 {"Singapore", "APAC"},
                                                 {"Sydney", "APAC"},
                                                 {"Tokyo", "APAC"},
                                                 {"Toronto", "North America"}}};

inline constexpr std::array<const char*, 26> kFirstNames = {
    "Sarah", "James", "Alex",  "Priya", "Leo",   "Mina",  "Tom",  "Ana",  "Omar",
    "Grace", "Ben",   "Chloe", "Diego", "Elena", "Felix", "Hana", "Ivan", "Julia",
    "Kofi",  "Lena",  "Marco", "Nadia", "Raj",   "Sofia", "Yuki", "Zoe"};
inline constexpr std::array<const char*, 16> kLastNames = {
    "Kim",    "Patel",  "Chen",  "Garcia", "Novak",  "Okafor", "Rossi",  "Schmidt",
    "Tanaka", "Nguyen", "Silva", "Cohen",  "Larsen", "Haddad", "Moreau", "Walsh"};

// Team roles in chat sender names, in Company::team order.
inline constexpr std::array<const char*, 8> kTeamRoles = {"CEO", "CTO",    "Sales", "Finance",
                                                          "Dev", "Design", "Ops",   "PM"};
enum TeamRole { kCeo, kCto, kSales, kFinance, kDev, kDesign, kOps, kPm };

inline constexpr std::array<const char*, 12> kMonths = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

}  // namespace ms::gen
