hidden js
